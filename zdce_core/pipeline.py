"""One photo from pixels to result with the user's adjustments: estimate the curve maps,
make the render plan (:mod:`zdce_core.render_plan`), render it, check the result.

The batch, the previews and the evaluation all go through these functions, so a preview
shows exactly what the batch writes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch

from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.bit_depth import eight_bit
from zdce_core.cancel import Cancel
from zdce_core.cast import CastGains
from zdce_core.curve_maps import CurveMaps, FullResMaps, MapSource
from zdce_core.denoise import LEVELS, ReducedPhoto, reduced_input
from zdce_core.enhancer import Enhancer
from zdce_core.errors import UserFacingError
from zdce_core.parallel import run_pair
from zdce_core.pixels import to_unit_float
from zdce_core.render_plan import plan_render
from zdce_core.tone import Stages


@dataclass(frozen=True)
class Enhanced:
    """A result: ``pixels`` ``(H, W, 3)`` like the input, the ``strength`` it was rendered
    at, whether auto exposure chose it, the ``stages`` that ran and the correction of a
    colour ``cast`` it got (from its render plan)."""

    pixels: np.ndarray
    strength: float
    auto: bool
    stages: Stages
    cast: CastGains | None = None


def render_adjusted(
    enhancer: Enhancer,
    pixels: np.ndarray,
    estimate: CurveMaps,
    adjustments: Adjustments,
    reduced: ReducedPhoto | None,
    maps: MapSource | None = None,
    cancel: Cancel | None = None,
    deltas: dict[Denoise, torch.Tensor] | None = None,
) -> Enhanced:
    """Render ``pixels`` (the photo, or its preview) with ``adjustments``, by the plan
    :func:`~zdce_core.render_plan.plan_render` makes.

    ``estimate``: the maps from the estimation copy, targeted at ``pixels``' size; ``maps``:
    another source of the same maps to render with: full-resolution (:class:`FullResMaps`),
    or planned and upsampled (:func:`~zdce_core.render_plan.planned_maps`); ``reduced``:
    :func:`reduced_for` the photo; ``deltas``: a cache, by level, of the full-size denoise
    delta of ``pixels`` (previews, which re-render the same pixels at many strengths: filled
    on first use).
    """
    plan = plan_render(estimate, adjustments, reduced, maps)
    guide = plan.guide
    if guide is not None and deltas is not None:
        if adjustments.denoise not in deltas:
            with torch.inference_mode():
                x = to_unit_float(pixels, enhancer.device, torch.contiguous_format)
                deltas[adjustments.denoise] = guide.on(enhancer.device).full_delta(x)
        plan = replace(plan, guide=replace(guide, delta=deltas[adjustments.denoise]))
    out = enhancer.render(pixels, plan, cancel)
    return Enhanced(out, plan.strength, plan.auto, plan.stages, plan.cast)


CRUSHED_SHARE = 1 / 3
"""A result with more than this share of its pixels newly black (or newly white) is refused."""


class BrokenResult(UserFacingError, ValueError):
    """The model crushed a photo to black or white: a broken or unsuitable model."""


def crushed_shares(pixels: np.ndarray, result: np.ndarray) -> tuple[float, float]:
    """``(black, white)``: the shares of the pixels of ``pixels`` (both ``(H, W, 3)``
    uint8/uint16) that ``result`` turned black (every channel ≤ 2/255) or white (every
    channel ≥ 254/255) and that were not. Judged on every 4th pixel each way."""
    before, after = eight_bit(pixels[::4, ::4]), eight_bit(result[::4, ::4])

    def brightest(rgb: np.ndarray) -> np.ndarray:  # channel by channel: ~1 ms for a preview
        return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])

    def darkest(rgb: np.ndarray) -> np.ndarray:
        return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])

    black = float(np.mean((brightest(after) <= 2) & (brightest(before) > 2)))
    white = float(np.mean((darkest(after) >= 254) & (darkest(before) < 254)))
    return black, white


def check_result(pixels: np.ndarray, result: np.ndarray) -> None:
    """Raise :class:`BrokenResult` when ``result`` turned more than ``CRUSHED_SHARE`` of the
    pixels of ``pixels`` black or white that were not (see :func:`crushed_shares`)."""
    black, white = crushed_shares(pixels, result)
    for share, colour in ((black, "black"), (white, "white")):
        if share > CRUSHED_SHARE:
            raise BrokenResult(
                f"the model turned {share:.0%} of the photo {colour}; it is broken or does "
                "not suit this photo (try another model or a lower strength)"
            )


def reduced_for(pixels: np.ndarray, adjustments: Adjustments) -> ReducedPhoto | None:
    """What denoising and the scene-aware stages need of the photo ``pixels``
    ``(H, W, 3)``: its reduced copy, or ``None`` when ``adjustments`` ask for neither."""
    needed = adjustments.scene_aware or adjustments.denoise is not Denoise.OFF
    return reduced_input(pixels) if needed else None


SIDE_BY_SIDE = 24_000_000
"""Photos up to this many pixels have their network and their reduced copy's analysis run
side by side; larger ones one after the other: each starts from a full-size copy for Pillow
(4 bytes a pixel), and two at once took a 48 MP photo from 0.89 to 1.08 GB."""


def _analysed(pixels: np.ndarray, adjustments: Adjustments) -> ReducedPhoto | None:
    """:func:`reduced_for`, with what the render plan will ask of it computed ahead (the
    denoise level's coefficients; the luma guide when there is no colour cast to correct):
    all of it independent of the curve maps."""
    reduced = reduced_for(pixels, adjustments)
    if reduced is not None:
        if adjustments.denoise is not Denoise.OFF:
            reduced.coefficients(LEVELS[adjustments.denoise])
        if adjustments.scene_aware and reduced.cast is None:
            reduced.luma_guide(None)
    return reduced


def enhance_photo(
    enhancer: Enhancer,
    pixels: np.ndarray,
    adjustments: Adjustments,
    cancel: Cancel | None = None,
) -> Enhanced:
    """Enhance ``pixels`` ``(H, W, 3)`` uint8/uint16 with ``adjustments``.

    Raises :class:`~zdce_core.cancel.Cancelled` when ``cancel()`` turns true.
    """

    def estimate() -> CurveMaps:
        return enhancer.estimate_downscaled(pixels)

    def analyse() -> ReducedPhoto | None:
        return _analysed(pixels, adjustments)

    if pixels.shape[0] * pixels.shape[1] <= SIDE_BY_SIDE:  # a worker each (12 MP: 61 + 52 ms)
        maps_small, reduced = run_pair(estimate, analyse)
    else:
        maps_small, reduced = estimate(), analyse()
    maps = FullResMaps(enhancer, pixels) if enhancer.full_res else None
    return render_adjusted(enhancer, pixels, maps_small, adjustments, reduced, maps, cancel)
