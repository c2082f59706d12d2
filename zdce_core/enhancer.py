"""Estimating curve maps for a photo and rendering it at full resolution, in strips.

Estimation (the network) runs on a copy whose long side is at most ``estimate_size`` pixels;
the maps are upsampled bilinearly, strip by strip, while the curves are applied at full
resolution, so memory stays bounded however large the photo (DESIGN.md §2). ``full_res``
runs the network on the full image instead, in overlapping tiles. Estimation and rendering
are separate calls: estimate once, render at many strengths. Both are split into independent
pieces (bands of the estimation copy, strips of rows) for :mod:`zdce_core.parallel`'s worker
threads.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import torch
from PIL import Image

from zdce_core.adjustments import DEFAULT_ESTIMATE_SIZE
from zdce_core.curves import curve_schedule, map_channels
from zdce_core.device import pick_device
from zdce_core.image_io import eight_bit
from zdce_core.nets import ITERATIONS, RECEPTIVE_RADIUS, infer
from zdce_core.parallel import compute_threads, run_pieces, split_rows
from zdce_core.tone import curve_input, finish, smoothed_luma
from zdce_core.upsample import upsample_rows, widen
from zdce_core.weights import LoadedModel

if TYPE_CHECKING:
    from zdce_core.render_plan import RenderPlan

STRIP_ELEMENTS = 1 << 18
"""Target float count of one 3-channel strip (a piece for one worker thread)."""
FULL_RES_TILE = 512
FULL_RES_HALO = RECEPTIVE_RADIUS + 1

Cancel = Callable[[], bool]


class Cancelled(Exception):
    """Raised inside rendering when the cancel callable returned True."""


def _max_value(dtype: np.dtype) -> float:
    return 65535.0 if dtype == np.uint16 else 255.0


def pixels_as_tensor(pixels: np.ndarray) -> torch.Tensor:
    """A ``(1, 3, H, W)`` view (channels_last strides) of ``(H, W, 3)`` pixels.

    No copy, except for uint16 (widened: torch's uint16 support is partial) and read-only
    arrays (torch tensors cannot be read-only).
    """
    if pixels.dtype == np.uint16:
        pixels = pixels.astype(np.int32)
    elif not pixels.flags.writeable:
        pixels = pixels.copy()
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0)


def to_unit_float(
    pixels: np.ndarray,
    device: torch.device,
    memory_format: torch.memory_format = torch.channels_last,
) -> torch.Tensor:
    """``(1, 3, H, W)`` float32 in [0, 1] from ``(H, W, 3)`` uint8/uint16 pixels."""
    x = pixels_as_tensor(pixels).to(device=device, dtype=torch.float32, memory_format=memory_format)
    return x.mul_(1.0 / _max_value(pixels.dtype))


def reduced_copy(pixels: np.ndarray, size: int) -> np.ndarray:
    """An 8-bit ``(h, w, 3)`` copy whose long side is at most ``size`` (antialiased); the
    input itself when it is 8-bit and small enough."""
    pixels = eight_bit(pixels)
    h, w = pixels.shape[:2]
    scale = size / max(h, w)
    if scale >= 1.0:
        return pixels
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(
        Image.fromarray(pixels).resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    )


class MapSource(Protocol):
    """Curve maps for an image of ``height`` × ``width`` pixels, delivered strip by strip."""

    @property
    def height(self) -> int: ...

    @property
    def width(self) -> int: ...

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        """Maps ``(1, 3, r1 − r0, width)`` for rows [r0, r1), one per curve iteration."""
        ...


@dataclass
class CurveMaps:
    """Curve maps for one image of ``height`` × ``width`` pixels.

    ``small``: ``(1, 3·k, h, w)`` float32 maps estimated on a downscaled copy (``k`` = 8 or 1),
    upsampled bilinearly (align_corners=False) to full size strip by strip. ``source``: the
    ``(1, 3, h, w)`` float32 copy in [0, 1] they were estimated on.
    """

    small: torch.Tensor
    height: int
    width: int
    source: torch.Tensor | None = None

    @property
    def groups(self) -> int:
        """Maps per image: 8 (one per iteration) or 1 (shared by the iterations)."""
        return self.small.shape[1] // map_channels(self.small)

    def for_size(self, height: int, width: int) -> CurveMaps:
        """The same maps applied to an image of another size (e.g. a preview)."""
        return CurveMaps(self.small, height, width, self.source)

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        """Full-resolution maps ``(1, 3, r1 − r0, width)`` (contiguous) for rows [r0, r1),
        one per curve iteration, computed lazily (a shared map repeats)."""
        rows = upsample_rows(self.small, self.height, r0, r1)
        return _per_iteration(rows, lambda m: widen(m, self.width))


def _per_iteration(
    rows: torch.Tensor, prepare: Callable[[torch.Tensor], torch.Tensor]
) -> Iterator[torch.Tensor]:
    """``prepare`` applied to each iteration's contiguous map of ``rows`` ``(1, 3·k or k, h, w)``
    as needed; with ``k = 1`` the one map repeats for every iteration."""
    c = map_channels(rows)
    groups = rows.shape[1] // c
    parts = (prepare(rows[:, c * g : c * g + c].contiguous()) for g in range(groups))
    return itertools.repeat(next(parts)) if groups == 1 else parts


@dataclass
class FullResMaps:
    """Curve maps estimated on the full-resolution image, strip by strip, when asked for.

    Tiles of ``FULL_RES_TILE`` pixels with a halo of ``FULL_RES_HALO`` give the same maps as
    one pass over the whole image (the network sees only ``RECEPTIVE_RADIUS`` pixels around
    each output pixel), with bounded memory.
    """

    enhancer: Enhancer
    pixels: np.ndarray

    @property
    def height(self) -> int:
        return self.pixels.shape[0]

    @property
    def width(self) -> int:
        return self.pixels.shape[1]

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        """Like :meth:`CurveMaps.iteration_maps`."""
        h, w = self.height, self.width
        halo = FULL_RES_HALO
        top, bottom = max(0, r0 - halo), min(h, r1 + halo)
        parts = []
        for c0 in range(0, w, FULL_RES_TILE):
            c1 = min(w, c0 + FULL_RES_TILE)
            left, right = max(0, c0 - halo), min(w, c1 + halo)
            tile = self.pixels[top:bottom, left:right]
            maps = self.enhancer.run_net(
                to_unit_float(np.ascontiguousarray(tile), self.enhancer.device)
            )
            parts.append(maps[:, :, r0 - top : r1 - top, c0 - left : c1 - left])
        return _per_iteration(torch.cat(parts, dim=3), lambda m: m)


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

    def estimate_downscaled(self, pixels: np.ndarray) -> CurveMaps:
        """Curve maps for ``pixels`` from a copy at most ``estimate_size`` pixels long."""
        small = to_unit_float(reduced_copy(pixels, self.estimate_size), self.device)
        maps = self.run_net_in_bands(small)
        return CurveMaps(maps, pixels.shape[0], pixels.shape[1], small)

    def render(
        self, pixels: np.ndarray, plan: RenderPlan, cancel: Cancel | None = None
    ) -> np.ndarray:
        """Render ``pixels`` ``(H, W, 3)`` uint8/uint16 as ``plan`` says
        (:mod:`zdce_core.render_plan`): per strip of rows, denoise, apply
        the curves to the channels (and the smoothed luma), finish (:func:`zdce_core.tone.finish`)
        and convert back. ``RenderPlan.plain(maps, s)`` is the plain Zero-DCE rendering.
        Returns a new array of the same shape and dtype. Raises :class:`Cancelled` when
        ``cancel()`` is true between strips.
        """
        maps, stages = plan.maps, plan.stages
        schedule = curve_schedule(plan.strength, ITERATIONS)
        h, w = pixels.shape[:2]
        if (maps.height, maps.width) != (h, w):
            raise ValueError("the maps were estimated for an image of another size")
        top = _max_value(pixels.dtype)
        guide = plan.guide.on(self.device) if plan.guide is not None else None
        luma_guide = plan.luma_guide.to(self.device) if plan.luma_guide is not None else None
        out = np.empty_like(pixels)
        out_t = pixels_as_tensor(out) if out.dtype == np.uint8 else None
        # full resolution: the network's tiles dominate; fewer, taller strips
        step = FULL_RES_TILE // 2 if plan.full_res else max(4, STRIP_ELEMENTS // (3 * w))

        def strip(rows: tuple[int, int]) -> None:
            if cancel is not None and cancel():
                raise Cancelled
            r0, r1 = rows
            with torch.inference_mode():
                x = to_unit_float(pixels[r0:r1], self.device, torch.contiguous_format)
                if guide is not None:
                    guide.apply_(x, r0, r1)
                smooth = None
                if luma_guide is not None:
                    coefficients = widen(upsample_rows(luma_guide, h, r0, r1), w)
                    smooth = smoothed_luma(x, coefficients)
                curved = curve_input(x, smooth)
                per_iter = maps.iteration_maps(r0, r1)
                for (_, scale), a in zip(schedule, per_iter, strict=False):
                    curved.lerp_(curved * curved, a if scale == 1.0 else a * scale)
                y = finish(x, curved, smooth, stages)
                y = y.mul_(top).add_(0.5).clamp_(0.0, top).cpu()
                if out_t is not None:
                    out_t[:, :, r0:r1].copy_(y)
                else:
                    out[r0:r1] = y[0].permute(1, 2, 0).numpy().astype(out.dtype)

        strips = split_rows(h, step)
        if self.device.type == "cpu":
            run_pieces(strip, strips)
        else:
            for rows in strips:
                strip(rows)
        return out
