"""One photo from pixels to result with the user's adjustments: estimate the curve maps,
choose the strength (auto exposure), prepare denoising, render with highlight protection.

The batch, the previews and the evaluation all go through these functions, so a preview
shows exactly what the batch writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np
import torch

from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.curves import apply_curves
from zdce_core.denoise import DenoiseGuide, ReducedPhoto, make_guide, reduced_input
from zdce_core.enhancer import Cancel, CurveMaps, Enhancer, FullResMaps, MapSource, to_unit_float
from zdce_core.errors import UserFacingError
from zdce_core.exposure import cap_highlights_, choose_strength, highlight_scale
from zdce_core.image_io import eight_bit
from zdce_core.upsample import upsample_rows, widen


@dataclass(frozen=True)
class Enhanced:
    """A result: ``pixels`` ``(H, W, 3)`` like the input, the ``strength`` it was rendered
    at and whether auto exposure chose it."""

    pixels: np.ndarray
    strength: float
    auto: bool


def resolve_strength(estimate: CurveMaps, adjustments: Adjustments) -> float:
    """The strength to render at: the manual one, or auto exposure's choice."""
    if adjustments.strength is not None:
        return adjustments.strength
    assert estimate.source is not None
    return choose_strength(
        estimate.source,
        estimate.small,
        adjustments.target_brightness,
        adjustments.protect_highlights,
    )


def render_small(estimate: CurveMaps, strength: float, protect_highlights: bool) -> torch.Tensor:
    """The estimation copy ``(1, 3, h, w)`` in [0, 1] rendered at ``strength``."""
    assert estimate.source is not None
    with torch.inference_mode():
        x0 = estimate.source.float()
        y = apply_curves(x0, estimate.small.float(), strength)
        return cap_highlights_(y, x0) if protect_highlights else y


def denoise_guide(
    reduced: ReducedPhoto | None,
    estimate: CurveMaps,
    strength: float,
    adjustments: Adjustments,
    height: int,
    width: int,
) -> DenoiseGuide | None:
    """The denoise guide for an image of ``height`` × ``width`` (the photo or its preview);
    ``reduced``: :func:`~zdce_core.denoise.reduced_input` of the photo (``None`` when off)."""
    if adjustments.denoise is Denoise.OFF or reduced is None:
        return None
    assert estimate.source is not None
    rendered = render_small(estimate, strength, adjustments.protect_highlights)
    with torch.inference_mode():
        return make_guide(
            reduced,
            estimate.source.float().cpu(),
            rendered.cpu(),
            height,
            width,
            adjustments.denoise,
        )


def adjusted_maps(estimate: CurveMaps, adjustments: Adjustments) -> CurveMaps:
    """The maps to render with: with highlight protection, scaled down in bright regions."""
    if not adjustments.protect_highlights or estimate.source is None:
        return estimate
    with torch.inference_mode():
        scale = highlight_scale(estimate.source).to(estimate.small.dtype)
        return replace(estimate, small=estimate.small * scale)


class ScaledMaps:
    """A :class:`MapSource` (full-resolution maps) scaled by small ``(1, 1, h, w)`` factors
    upsampled to full size strip by strip, like the maps themselves."""

    def __init__(self, maps: MapSource, scale: torch.Tensor) -> None:
        self.maps, self.scale = maps, scale
        self.height, self.width = maps.height, maps.width

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        factor = widen(upsample_rows(self.scale, self.height, r0, r1), self.width)
        return (a * factor.to(a.device) for a in self.maps.iteration_maps(r0, r1))


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
    """Render ``pixels`` (the photo, or its preview) with ``adjustments``.

    ``estimate``: the maps from the estimation copy, targeted at ``pixels``' size; ``maps``:
    another source of the same maps to render with: full-resolution (:class:`FullResMaps`),
    or pre-upsampled from :func:`adjusted_maps`; ``reduced``:
    :func:`~zdce_core.denoise.reduced_input` of the photo, needed to denoise; ``deltas``:
    a cache, by level, of the full-size denoise delta of ``pixels`` (previews, which
    re-render the same pixels at many strengths: filled on first use).
    """
    if isinstance(maps, FullResMaps) and adjustments.protect_highlights:
        assert estimate.source is not None
        maps = ScaledMaps(maps, highlight_scale(estimate.source))
    estimate = adjusted_maps(estimate, adjustments)
    strength = resolve_strength(estimate, adjustments)
    h, w = pixels.shape[:2]
    guide = denoise_guide(reduced, estimate, strength, adjustments, h, w)
    if guide is not None and deltas is not None:
        if adjustments.denoise not in deltas:
            with torch.inference_mode():
                x = to_unit_float(pixels, enhancer.device, torch.contiguous_format)
                deltas[adjustments.denoise] = guide.on(enhancer.device).full_delta(x)
        guide = replace(guide, delta=deltas[adjustments.denoise])
    out = enhancer.render(
        pixels, maps or estimate, strength, cancel, adjustments.protect_highlights, guide
    )
    return Enhanced(out, strength, adjustments.auto)


CRUSHED_SHARE = 1 / 3
"""A result with more than this share of its pixels newly black (or newly white) is refused."""


class BrokenResult(UserFacingError, ValueError):
    """The model crushed a photo to black or white: a broken or unsuitable model."""


def check_result(pixels: np.ndarray, result: np.ndarray) -> None:
    """Raise :class:`BrokenResult` when ``result`` turned more than ``CRUSHED_SHARE`` of the
    pixels of ``pixels`` (both ``(H, W, 3)`` uint8/uint16) black (every channel ≤ 2/255)
    or white (every channel ≥ 254/255) that were not. Judged on every 4th pixel each way."""
    before, after = eight_bit(pixels[::4, ::4]), eight_bit(result[::4, ::4])

    def brightest(rgb: np.ndarray) -> np.ndarray:  # channel by channel: ~1 ms for a preview
        return np.maximum(np.maximum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])

    def darkest(rgb: np.ndarray) -> np.ndarray:
        return np.minimum(np.minimum(rgb[..., 0], rgb[..., 1]), rgb[..., 2])

    black = float(np.mean((brightest(after) <= 2) & (brightest(before) > 2)))
    white = float(np.mean((darkest(after) >= 254) & (darkest(before) < 254)))
    for share, colour in ((black, "black"), (white, "white")):
        if share > CRUSHED_SHARE:
            raise BrokenResult(
                f"the model turned {share:.0%} of the photo {colour}; it is broken or does "
                "not suit this photo (try another model or a lower strength)"
            )


def denoise_input(pixels: np.ndarray, adjustments: Adjustments) -> ReducedPhoto | None:
    """What denoising needs of the photo ``pixels`` ``(H, W, 3)``: its reduced copy, or
    ``None`` when ``adjustments`` do not denoise."""
    return reduced_input(pixels) if adjustments.denoise is not Denoise.OFF else None


def enhance_photo(
    enhancer: Enhancer,
    pixels: np.ndarray,
    adjustments: Adjustments,
    cancel: Cancel | None = None,
) -> Enhanced:
    """Enhance ``pixels`` ``(H, W, 3)`` uint8/uint16 with ``adjustments``.

    Raises :class:`~zdce_core.enhancer.Cancelled` when ``cancel()`` turns true.
    """
    estimate = enhancer.estimate_downscaled(pixels)
    maps = FullResMaps(enhancer, pixels) if enhancer.full_res else None
    reduced = denoise_input(pixels, adjustments)
    return render_adjusted(enhancer, pixels, estimate, adjustments, reduced, maps, cancel)
