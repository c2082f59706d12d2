"""The render plan: everything decided about rendering one photo, in one place.

Scene analysis of the estimation copy produces a :class:`RenderPlan` — the strength (manual
or auto exposure's), the maps as they will be applied (neutral), the stages that run after
the curves, the denoise guide, the luma guide and the correction of an extreme colour
cast — and
:meth:`zdce_core.enhancer.Enhancer.render` only carries it out. The batch, the previews,
``zdce evaluate``, training's pre-save check and the cluster all get their plans from
:func:`plan_render`, so a preview shows what the batch writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import torch

from zdce_core.adjustments import MAX_STRENGTH, Adjustments, Denoise
from zdce_core.cast import CastGains, corrected, scaled
from zdce_core.curve_maps import CurveMaps, FullResMaps, MapSource
from zdce_core.denoise import DenoiseGuide, ReducedPhoto, make_guide
from zdce_core.exposure import Exposure, choose_exposure, render_small
from zdce_core.tone import Stages, neutral_maps
from zdce_core.white_point import white_point


@dataclass(frozen=True)
class RenderPlan:
    """How one image (a photo or its preview) of ``maps.height`` × ``maps.width`` is rendered.

    ``strength``: curve iterations in [0, 8]; ``auto``: chosen by auto exposure; ``maps``:
    the curve maps as applied; ``guide``: denoising before the curves (``None``: off);
    ``luma_guide``: ``(1, 2, h, w)`` coefficients of the smoothed luma
    (:func:`zdce_core.tone.luma_guide`), ``None`` unless ``stages.scene_aware``;
    ``full_res``: the maps are estimated on the full-size image (slow: taller strips);
    ``cast``: the correction of an extreme colour cast applied after denoising, the part
    that goes with ``strength`` (:mod:`zdce_core.cast`); ``None`` when there is none, at
    strength 0, when the rendering is not scene-aware or the adjustments keep casts;
    ``whites``: the white point (:func:`zdce_core.white_point.white_point`); ``raised``: how
    far auto exposure raised the shoulder (0–1, :class:`zdce_core.exposure.Exposure`).
    """

    strength: float
    auto: bool
    stages: Stages
    maps: MapSource
    guide: DenoiseGuide | None = None
    luma_guide: torch.Tensor | None = None
    full_res: bool = False
    cast: CastGains | None = None
    whites: tuple[float, float] | None = None
    raised: float = 0.0

    @classmethod
    def plain(cls, maps: MapSource, strength: float) -> RenderPlan:
        """The model's curves at ``strength`` and nothing else (the reference rendering)."""
        return cls(strength, False, Stages(scene_aware=False, protect=False), maps)


def stages_of(adjustments: Adjustments) -> Stages:
    """The stages ``adjustments`` ask for."""
    return Stages(adjustments.scene_aware, adjustments.protect_highlights)


def planned_maps(estimate: CurveMaps, adjustments: Adjustments) -> CurveMaps:
    """``estimate``'s maps as they are applied: shared by the channels when scene-aware.
    They do not depend on the strength, so a preview upsamples them once."""
    if not adjustments.scene_aware:
        return estimate
    with torch.inference_mode():
        return replace(estimate, small=neutral_maps(estimate.small))


class NeutralFullResMaps:
    """A :class:`MapSource` of full-resolution maps made neutral like :func:`planned_maps`."""

    def __init__(self, maps: MapSource) -> None:
        self.maps = maps
        self.height, self.width = maps.height, maps.width

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        return (neutral_maps(a) for a in self.maps.iteration_maps(r0, r1))


def plan_render(
    estimate: CurveMaps,
    adjustments: Adjustments,
    reduced: ReducedPhoto | None,
    maps: MapSource | None = None,
) -> RenderPlan:
    """The plan for the image ``estimate`` is targeted at (``estimate.height`` × ``width``).

    ``reduced``: :func:`~zdce_core.denoise.reduced_input` of the photo (needed to denoise
    and for the scene-aware stages; ``None`` when neither is asked for); ``maps``: another
    source of the maps to render with: full-resolution (:class:`FullResMaps`), or already
    planned and upsampled (a preview's).
    """
    stages = stages_of(adjustments)
    if reduced is None and (stages.scene_aware or adjustments.denoise is not Denoise.OFF):
        raise ValueError("denoising and the scene-aware stages need the reduced photo")
    planned = planned_maps(estimate, adjustments)
    assert planned.source is not None
    corrects = stages.scene_aware and adjustments.correct_cast
    photo_cast = reduced.cast if corrects and reduced is not None else None
    if adjustments.strength is not None:
        exposure = Exposure(adjustments.strength)
    else:
        exposure = choose_exposure(
            corrected(planned.source, photo_cast),
            planned.small,
            adjustments.target_brightness,
            stages,
            reduced.grain if reduced is not None else 0.0,
        )
    strength = exposure.strength
    cast = scaled(photo_cast, strength / MAX_STRENGTH)
    source = corrected(planned.source, cast)
    full_res = isinstance(maps, FullResMaps)
    if full_res and stages.scene_aware:
        maps = NeutralFullResMaps(maps)
    spreads_whites = stages.scene_aware and stages.protect
    denoises = reduced is not None and adjustments.denoise is not Denoise.OFF
    rendered = (
        render_small(source, planned.small, strength, stages, exposure.raised)
        if denoises or spreads_whites
        else None
    )
    whites = white_point(rendered) if spreads_whites and rendered is not None else None
    guide = None
    if denoises and reduced is not None and rendered is not None:  # narrowed for the checker
        guide = make_guide(
            reduced,
            source.float().cpu(),
            rendered,
            estimate.height,
            estimate.width,
            adjustments.denoise,
        )
    luma_guide = reduced.luma_guide(cast) if stages.scene_aware and reduced is not None else None
    return RenderPlan(
        strength,
        adjustments.auto,
        stages,
        maps or planned,
        guide,
        luma_guide,
        full_res,
        cast,
        whites,
        exposure.raised,
    )
