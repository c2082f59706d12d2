"""Estimating curve maps for a photo and rendering it at full resolution, in strips.

Estimation (the network) runs on a copy whose long side is at most ``estimate_size`` pixels;
the maps are upsampled bilinearly, strip by strip, while the curves are applied at full
resolution, so memory stays bounded however large the photo. The map types are in
:mod:`zdce_core.curve_maps`, the pixel conversions in :mod:`zdce_core.pixels`. ``full_res``
runs the network on the full image instead, in overlapping tiles. Estimation and rendering
are separate calls: estimate once, render at many strengths. Both are split into independent
pieces (bands of the estimation copy, strips of rows) for :mod:`zdce_core.parallel`'s worker
threads.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import numpy as np
import torch

from zdce_core.adjustments import DEFAULT_ESTIMATE_SIZE
from zdce_core.cancel import Cancel, Cancelled
from zdce_core.cast import correct_cast_
from zdce_core.curve_maps import FULL_RES_HALO, FULL_RES_TILE, CurveMaps
from zdce_core.curves import curve_schedule, iterate_curves_
from zdce_core.device import pick_device
from zdce_core.fused import MAX_COLUMNS, shared_map
from zdce_core.kernels import STRIP_TAIL, STRIP_TAIL_16, CompiledKernel, compiled
from zdce_core.nets import ITERATIONS, infer
from zdce_core.parallel import compute_threads, run_pieces, split_rows
from zdce_core.pixels import max_value, pixels_as_tensor, reduced_copy, to_unit_float
from zdce_core.tone import Stages, curve_input, finish, raised_terms, smoothed_luma
from zdce_core.upsample import upsample_rows, widen
from zdce_core.weights import LoadedModel
from zdce_core.white_point import UNCHANGED_WHITES, white_terms

if TYPE_CHECKING:
    from zdce_core.render_plan import RenderPlan

STRIP_ELEMENTS = 1 << 19
"""Target float count of one 3-channel strip (a piece for one worker thread). Each strip
runs about a hundred torch operations, and between them a worker holds the GIL: with two
workers on a 12 MP photo (scene-aware, median of 5, interleaved) strips of 2¹⁷ floats took
695 ms, 2¹⁸ 530 ms, 2¹⁹ 482 ms, 2²⁰ 482 ms (one worker alone: 2¹⁸ 828 ms, 2¹⁹ 880 ms, as
smaller strips stay in its cache)."""


class Enhancer:
    """A loaded model on a device, ready to estimate and render photos.

    ``device``: ``auto`` (CUDA, then MPS, then CPU), ``cpu``, ``cuda[:N]`` or ``mps``.
    On CPU the network runs channels_last; on CUDA in half precision. The enhancer takes
    over ``model.net`` (moved and converted in place): give each enhancer its own model.
    """

    def __init__(
        self,
        model: LoadedModel,
        device: str = "auto",
        estimate_size: int = DEFAULT_ESTIMATE_SIZE,
        full_res: bool = False,
    ) -> None:
        if estimate_size < 32:
            raise ValueError(f"estimate size must be at least 32 pixels, got {estimate_size}")
        self.model = model
        self.device = pick_device(device)
        self.estimate_size = estimate_size
        self.full_res = full_res
        self.half = self.device.type == "cuda"
        net = model.net.to(self.device).eval()
        if self.device.type == "cpu":
            net = net.to(memory_format=torch.channels_last)  # pyright: ignore[reportCallIssue]
        if self.half:
            net = net.half()
        self.net = net
        self.fused_strips = 0
        """Strips rendered by the compiled kernel so far (the rest ran eagerly)."""
        self._counting = threading.Lock()  # photos may render on several threads at once

    def run_net(self, x: torch.Tensor) -> torch.Tensor:
        """Curve maps ``(1, 3·k, h, w)`` float32 for ``x`` ``(1, 3, h, w)`` float32 in [0, 1]."""
        with torch.inference_mode():
            x = x.to(self.device, torch.float16 if self.half else torch.float32)
            if self.device.type == "cpu":
                x = x.contiguous(memory_format=torch.channels_last)
            return infer(self.net, x).float()

    def run_net_in_bands(self, x: torch.Tensor) -> torch.Tensor:
        """:meth:`run_net` on CPU split into one band of rows per worker thread (with a halo
        of ``FULL_RES_HALO`` rows, so the maps are those of one pass up to rounding)."""
        h = x.shape[2]
        halo = FULL_RES_HALO
        bands = min(compute_threads(), h // (2 * halo))
        if self.device.type != "cpu" or bands <= 1:
            return self.run_net(x)
        rows = -(-h // bands)

        def band(span: tuple[int, int]) -> torch.Tensor:
            r0, r1 = span
            top, bottom = max(0, r0 - halo), min(h, r1 + halo)
            return self.run_net(x[:, :, top:bottom])[:, :, r0 - top : r1 - top]

        return torch.cat(run_pieces(band, split_rows(h, rows)), dim=2)

    def _fused_tail(self, plan: RenderPlan, eight_bit: bool, width: int) -> CompiledKernel | None:
        """The compiled kernel (:mod:`zdce_core.fused`) when it renders what ``plan`` asks
        for on this device, at 8 bits (``eight_bit``) or 16, else ``None``."""
        usual = (
            plan.stages == Stages(scene_aware=True, protect=True) and plan.luma_guide is not None
        )
        if self.device.type != "cpu" or not usual or not 2 <= width <= MAX_COLUMNS:
            return None
        return compiled(STRIP_TAIL if eight_bit else STRIP_TAIL_16)

    def estimate_downscaled(self, pixels: np.ndarray) -> CurveMaps:
        """Curve maps for ``pixels`` from a copy at most ``estimate_size`` pixels long."""
        small = to_unit_float(reduced_copy(pixels, self.estimate_size), self.device)
        maps = self.run_net_in_bands(small)
        # in the standard layout: the later stages slice channels, which in channels_last
        # sends every operation on the copy down a slow strided path (auto exposure 1.6×)
        return CurveMaps(maps.contiguous(), pixels.shape[0], pixels.shape[1], small.contiguous())

    def render(
        self, pixels: np.ndarray, plan: RenderPlan, cancel: Cancel | None = None
    ) -> np.ndarray:
        """Render ``pixels`` ``(H, W, 3)`` uint8/uint16 as ``plan`` says
        (:mod:`zdce_core.render_plan`): per strip of rows, denoise, correct an extreme
        colour cast, apply the curves to the channels (and the smoothed luma), finish
        (:func:`zdce_core.tone.finish`) and convert back. ``RenderPlan.plain(maps, s)`` is
        the plain Zero-DCE rendering. Returns a new array of the same shape and dtype.
        Raises :class:`Cancelled` when ``cancel()`` is true between strips.
        """
        maps, stages = plan.maps, plan.stages
        schedule = curve_schedule(plan.strength, ITERATIONS)
        h, w = pixels.shape[:2]
        if (maps.height, maps.width) != (h, w):
            raise ValueError("the maps were estimated for an image of another size")
        top = max_value(pixels.dtype)
        guide = plan.guide.on(self.device) if plan.guide is not None else None
        luma_guide = plan.luma_guide.to(self.device) if plan.luma_guide is not None else None
        out = np.empty_like(pixels)
        out_t = pixels_as_tensor(out) if out.dtype == np.uint8 else None
        tail = self._fused_tail(plan, out_t is not None, w)
        scales = torch.tensor([s for _, s in schedule] + [0.0] * (ITERATIONS - len(schedule)))
        whites = white_terms(plan.whites, self.device) if plan.whites else None
        kernel_whites = whites if whites is not None else white_terms(UNCHANGED_WHITES)
        raised = raised_terms(plan.raised, self.device)
        kernel_raised = raised if raised is not None else torch.zeros(1)
        # full resolution: the network's tiles dominate; fewer, taller strips
        step = FULL_RES_TILE // 2 if plan.full_res else max(4, STRIP_ELEMENTS // (3 * w))

        def strip(rows: tuple[int, int]) -> bool:
            """Render rows [r0, r1); whether the compiled kernel did."""
            if cancel is not None and cancel():
                raise Cancelled
            r0, r1 = rows
            with torch.inference_mode():
                x = to_unit_float(pixels[r0:r1], self.device, torch.contiguous_format)
                if guide is not None:
                    guide.apply_(x, r0, r1)
                if plan.cast is not None:
                    correct_cast_(x, plan.cast)
                smooth = coefficients = None
                if luma_guide is not None:
                    coefficients = widen(upsample_rows(luma_guide, h, r0, r1), w)
                per_iter = maps.iteration_maps(r0, r1)
                steps = [a for _, a in zip(schedule, per_iter, strict=False)]
                shared = shared_map(steps)
                if tail is not None and coefficients is not None and shared is not None:
                    levels = tail(x, coefficients, shared, scales, kernel_whites, kernel_raised)
                    out[r0:r1] = levels[0].numpy()  # 16 bits: int32
                    return True
                if coefficients is not None:
                    smooth = smoothed_luma(x, coefficients)
                curved = iterate_curves_(curve_input(x, smooth), steps, schedule)
                y = finish(x, curved, smooth, stages, whites, raised)
                y = y.mul_(top).add_(0.5).clamp_(0.0, top).cpu()
                if out_t is not None:
                    out_t[:, :, r0:r1].copy_(y)
                else:
                    out[r0:r1] = y[0].permute(1, 2, 0).numpy().astype(out.dtype)
            return False

        strips = split_rows(h, step)
        if self.device.type == "cpu":
            fused = run_pieces(strip, strips)
        else:
            fused = [strip(rows) for rows in strips]
        with self._counting:
            self.fused_strips += sum(fused)
        return out
