"""The loupe: any region of a photo rendered from its full-resolution pixels, exactly as the
batch renders the whole photo (a crop of the batch's result, up to rounding).

:class:`FullPhoto` holds the photo decoded in full and what the batch computes from it
(the curve maps estimated on the estimation copy, the reduced copy for denoising and the
smoothed luma), and the photo's render plan (:func:`~zdce_core.render_plan.plan_render`),
made once per set of adjustments. Everything a plan holds is small — maps, the denoise
guide, the luma guide — and upsampled bilinearly to each full-size pixel, and every stage
after that is per pixel; so a region's plan is the photo's plan with those small grids
upsampled to the region's pixels only (:func:`region_plan`), and
:meth:`~zdce_core.enhancer.Enhancer.render` renders the region's pixels with it. No margin
is needed: no stage looks at a full-size pixel's neighbours. (The maps come from the
estimation copy, as in the app's batch; ``Enhancer.full_res`` is a command-line option.)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from zdce_core.adjustments import Adjustments
from zdce_core.bit_depth import eight_bit
from zdce_core.cancel import Cancel, Cancelled
from zdce_core.curve_maps import CurveMaps
from zdce_core.curves import map_channels
from zdce_core.denoise import DenoiseGuide, ReducedPhoto, reduced_input
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import read_image
from zdce_core.render_plan import RenderPlan, plan_render
from zdce_core.upsample import upsample_rows


@dataclass(frozen=True)
class Region:
    """A rectangle of a photo in its full-size pixels: columns [left, left + width), rows
    [top, top + height)."""

    left: int
    top: int
    width: int
    height: int

    @property
    def rows(self) -> slice:
        return slice(self.top, self.top + self.height)

    @property
    def columns(self) -> slice:
        return slice(self.left, self.left + self.width)


@dataclass
class FullPhoto:
    """The photo at ``path`` decoded at full size, as the batch reads and analyses it.

    ``pixels``: ``(H, W, 3)`` uint8/uint16; ``estimate``: its curve maps, targeted at
    ``H`` × ``W`` (:meth:`~zdce_core.enhancer.Enhancer.estimate_downscaled`, as the batch);
    ``reduced``: :func:`~zdce_core.denoise.reduced_input` of the photo. The last plan made
    (by adjustments) is kept: a loupe re-renders regions at the same adjustments.
    """

    path: Path
    pixels: np.ndarray
    estimate: CurveMaps
    reduced: ReducedPhoto
    _plan: tuple[Adjustments, RenderPlan] | None = field(default=None, compare=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(height, width)`` in pixels."""
        return int(self.pixels.shape[0]), int(self.pixels.shape[1])

    def plan(self, adjustments: Adjustments) -> RenderPlan:
        """The whole photo's render plan for ``adjustments`` (the batch's), cached."""
        if self._plan is None or self._plan[0] != adjustments:
            self._plan = (adjustments, plan_render(self.estimate, adjustments, self.reduced))
        return self._plan[1]


def load_full_photo(enhancer: Enhancer, path: Path, cancel: Cancel | None = None) -> FullPhoto:
    """Decode ``path`` in full and analyse it as the batch does (~0.2 s for 12 MP, 2 cores).

    Raises :class:`~zdce_core.image_io.ImageReadError` for unreadable files and
    :class:`~zdce_core.cancel.Cancelled` when ``cancel()`` turns true between steps.
    """
    pixels = read_image(path).pixels
    if cancel is not None and cancel():
        raise Cancelled
    estimate = enhancer.estimate_downscaled(pixels)
    return FullPhoto(path, pixels, estimate, reduced_input(pixels))


def upsample_columns(x: torch.Tensor, width: int, c0: int, c1: int) -> torch.Tensor:
    """Columns [c0, c1) of ``x`` ``(1, C, h, w)`` interpolated linearly (align_corners=False)
    to ``width`` columns: :func:`~zdce_core.upsample.widen` restricted to those columns
    (:func:`~zdce_core.upsample.upsample_rows` of the transpose: a gather of whole rows)."""
    wide = upsample_rows(x.transpose(2, 3).contiguous(), width, c0, c1)
    return wide.transpose(2, 3).contiguous()


def upsample_region(small: torch.Tensor, size: tuple[int, int], region: Region) -> torch.Tensor:
    """``small`` ``(1, C, h, w)`` upsampled bilinearly to ``size`` ``(H, W)``, only the pixels
    of ``region``: ``(1, C, region.height, region.width)``. The columns first, while the
    grid has few rows."""
    columns = upsample_columns(small, size[1], region.left, region.left + region.width)
    return upsample_rows(columns, size[0], region.top, region.top + region.height)


class RegionMaps:
    """The curve maps of a region of the photo (a
    :class:`~zdce_core.curve_maps.MapSource`): the photo's small maps upsampled to the
    region's columns once, then to its rows strip by strip."""

    def __init__(self, maps: CurveMaps, region: Region) -> None:
        self.columns = upsample_columns(
            maps.small, maps.width, region.left, region.left + region.width
        )
        self.full_height, self.top = maps.height, region.top
        self.height, self.width = region.height, region.width

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        rows = upsample_rows(self.columns, self.full_height, self.top + r0, self.top + r1)
        c = map_channels(rows)
        parts = [rows[:, i : i + c].contiguous() for i in range(0, rows.shape[1], c)]
        return itertools.repeat(parts[0]) if len(parts) == 1 else iter(parts)


def region_plan(plan: RenderPlan, size: tuple[int, int], region: Region) -> RenderPlan:
    """``plan`` (of a photo of ``size`` ``(H, W)``, maps from the estimation copy) for the
    pixels of ``region`` alone: the maps, the denoise guide and the luma guide upsampled to
    the region (the guides already at full size, so rendering upsamples them 1:1)."""
    if not isinstance(plan.maps, CurveMaps):
        raise ValueError("a region is rendered with maps from the estimation copy")
    guide = None
    if plan.guide is not None:
        guide = DenoiseGuide(
            upsample_region(plan.guide.weight, size, region),
            upsample_region(plan.guide.coefficients, size, region),
            region.height,
            region.width,
        )
    luma_guide = None
    if plan.luma_guide is not None:
        luma_guide = upsample_region(plan.luma_guide, size, region)
    return replace(plan, maps=RegionMaps(plan.maps, region), guide=guide, luma_guide=luma_guide)


@dataclass(frozen=True)
class RegionRender:
    """A region of a photo before and after, ``(h, w, 3)`` uint8 each (the 8-bit view of a
    16-bit photo), rendered at ``strength``."""

    before: np.ndarray
    after: np.ndarray
    strength: float


def render_region(
    enhancer: Enhancer, photo: FullPhoto, adjustments: Adjustments, region: Region
) -> RegionRender:
    """``region`` of ``photo`` rendered with ``adjustments`` as the batch renders the photo
    (its result's crop within one level at 8 bits)."""
    with torch.inference_mode():
        plan = region_plan(photo.plan(adjustments), photo.size, region)
    crop = np.ascontiguousarray(photo.pixels[region.rows, region.columns])
    after = enhancer.render(crop, plan)
    return RegionRender(eight_bit(crop), eight_bit(after), plan.strength)
