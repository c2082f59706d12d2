"""Scene analysis on the small estimation copy: which strength a photo gets (auto exposure).

Auto exposure renders the small copy (the maps are already estimated for it) at a grid of
strengths, with the same stages as the full-size rendering (:mod:`zdce_core.tone`), and picks
by linear interpolation on the grid the strength at which the photo's *key* reaches its aim.
With the scene-aware rendering the key is the log-average luma of the content — the pixels
the toe lifts, weighted by the toe, so a night sky at the noise floor does not count — and
the aim is the target brightness: a night street is lifted until the street
is visible, not until the frame's mean (mostly sky) is 0.5. Large shadows (a backlit subject
against a bright field) are also lifted until their own log-average reaches
``SHADOW_SHARE`` × the target, while the shoulder and the regional scale leave the bright
field alone; the larger of the two strengths is taken. Without the scene-aware rendering
the key is the mean RGB value, lowered if more than ``CLIP_BUDGET`` of the pixels would
become clipped. A photo already at its aim gets strength
0. Cost: a few passes over a copy at most ``SEARCH_SIZE`` pixels long (milliseconds).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from zdce_core.curves import MAX_STRENGTH, iteration_map
from zdce_core.tone import (
    CLIP_LEVEL,
    PROTECT_BELOW,
    Stages,
    curve_input,
    finish,
    luma,
    smoothstep,
    toe,
)

CLIP_BUDGET = 0.003
"""Without the scene-aware rendering, at most this fraction of pixels (0.3 %) may become
clipped by auto exposure."""
SHADOW_FROM, SHADOW_TO = 0.15, 0.3
"""Content darker than this (fading out over the range) counts as shadows."""
SHADOW_SHARE = 0.5
SHADOW_AREA = (0.05, 0.15)
"""Shadows covering more than 15 % of the frame are lifted until their log-average luma is
``SHADOW_SHARE`` × the target brightness (a backlit subject), those under 5 % are left to
the key (the aim grows in between)."""
KEY_OFFSET = 0.02
"""Added to the luma before the logarithm, so black pixels do not dominate the key."""
SEARCH_SIZE = 128
"""Long side the strengths are tried at: on the dev photos, strengths chosen at 128 px differ
from those at 256 px by 0.03 on average (at most 0.1), at a quarter of the cost."""
GRID_STEP = 0.5
"""Strengths tried: every full iteration and the half-way point of each."""


def render_small(
    source: torch.Tensor, maps: torch.Tensor, strength: float, stages: Stages
) -> torch.Tensor:
    """The small copy ``source`` ``(1, 3, h, w)`` in [0, 1] rendered at ``strength`` with
    ``maps`` ``(1, k or 3·k, h, w)`` (already planned) and ``stages``, as the full-size
    rendering would (its smoothed luma is the copy's own luma: the copy is already small)."""
    return next(_render_grid(source, maps, stages, [strength]))


@torch.inference_mode()  # on a generator: around each step, not while it waits
def _render_grid(
    x0: torch.Tensor, maps: torch.Tensor, stages: Stages, strengths: list[float]
) -> Iterator[torch.Tensor]:
    """``x0`` rendered at each of the ascending ``strengths`` in turn, iterating the curves
    once (a caller that has seen enough stops early)."""
    x0, maps = x0.float().cpu(), maps.float().cpu()
    smooth = luma(x0) if stages.scene_aware else None
    x = curve_input(x0, smooth)
    done = 0
    for strength in strengths:
        while done + 1 <= strength:
            x = x + iteration_map(maps, done) * (x * x - x)
            done += 1
        part = strength - done
        y = x + part * iteration_map(maps, done) * (x * x - x) if part > 0 else x
        yield finish(x0, y.clone(), smooth, stages)


def _first_crossing(strengths: np.ndarray, values: np.ndarray, level: float) -> float:
    """The smallest strength at which ``values`` (piecewise linear) reaches ``level``; the
    last strength when it never does."""
    above = np.nonzero(values >= level)[0]
    if above.size == 0:
        return float(strengths[-1])
    i = int(above[0])
    if i == 0:
        return float(strengths[0])
    v0, v1 = values[i - 1], values[i]
    t = (level - v0) / (v1 - v0) if v1 > v0 else 1.0
    return float(strengths[i - 1] + t * (strengths[i] - strengths[i - 1]))


def content_weights(x0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(content, shadows)`` weights ``(1, 1, h, w)`` of the pixels of ``x0``
    ``(1, 3, h, w)`` in [0, 1]: the content is what the toe lifts (a black frame: every
    pixel), the shadows the part of it darker than ``SHADOW_FROM``–``SHADOW_TO``."""
    lum = luma(x0)
    content = toe(lum)
    if float(content.sum()) < 1e-3 * content.numel():
        content = torch.ones_like(content)
    return content, content * (1.0 - smoothstep((lum - SHADOW_FROM) / (SHADOW_TO - SHADOW_FROM)))


def log_average(y: torch.Tensor, w: torch.Tensor) -> float:
    """The log-average luma of ``y`` ``(1, 3, h, w)`` with pixel weights ``w``."""
    log_mean = (w * torch.log(luma(y) + KEY_OFFSET)).sum() / w.sum().clamp(min=1e-6)
    return float(torch.exp(log_mean)) - KEY_OFFSET


def _clipped(y: torch.Tensor, was_not_white: torch.Tensor) -> float:
    """The share of ``y``'s pixels clipped that were not white in the input."""
    return float(((y.amax(1) >= CLIP_LEVEL) & was_not_white).float().mean())


def _measure_until_crossed(
    results: Iterator[torch.Tensor],
    measures: tuple[Callable[[torch.Tensor], float], Callable[[torch.Tensor], float]],
    levels: tuple[float, float],
    every: bool,
) -> tuple[np.ndarray, np.ndarray]:
    """Both ``measures`` of each of ``results`` in turn, until every one (``every``) or one
    of them has reached its level once: later strengths cannot change a first crossing."""
    values: tuple[list[float], list[float]] = ([], [])
    crossed = [False, False]
    for y in results:
        for i in range(2):
            values[i].append(measures[i](y))
            crossed[i] = crossed[i] or values[i][-1] >= levels[i]
        enough = all(crossed) if every else any(crossed)
        if enough:
            break
    return np.array(values[0]), np.array(values[1])


def choose_strength(
    small: torch.Tensor, maps: torch.Tensor, target: float, stages: Stages
) -> float:
    """The auto-exposure strength in [0, 8] for a photo.

    ``small``: ``(1, 3, h, w)`` float in [0, 1], the copy the ``maps`` ``(1, k or 3·k, h, w)``
    (planned: neutral and scaled as they will be rendered) were estimated on. ``target``:
    the target brightness in (0, 1); ``stages``: as the photo will be rendered.
    """
    small, maps = small.float().cpu(), maps.float().cpu()
    h, w = small.shape[2:]
    if max(h, w) > SEARCH_SIZE:
        scale = SEARCH_SIZE / max(h, w)
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        small = F.interpolate(small, size=size, mode="area")
        maps = F.interpolate(maps, size=size, mode="area")
    strengths = np.arange(0.0, MAX_STRENGTH + GRID_STEP / 2, GRID_STEP)
    grid = _render_grid(small, maps, stages, [float(s) for s in strengths])
    if stages.scene_aware:
        content, shadows = content_weights(small)
        area = float(shadows.mean())
        presence = min(max((area - SHADOW_AREA[0]) / (SHADOW_AREA[1] - SHADOW_AREA[0]), 0), 1)
        aims = (target, SHADOW_SHARE * target * presence)
        keys, lows = _measure_until_crossed(
            grid,
            (lambda y: log_average(y, content), lambda y: log_average(y, shadows)),
            aims,
            every=True,
        )
        tried = strengths[: len(keys)]
        by_key = _first_crossing(tried, keys, aims[0])
        by_shadows = _first_crossing(tried, lows, aims[1])
        return round(max(by_key, by_shadows), 2)
    was_not_white = small.amax(1) < PROTECT_BELOW
    first = next(grid)
    clipped_at_zero = _clipped(first, was_not_white)
    means, clipped = _measure_until_crossed(
        itertools.chain([first], grid),
        (lambda y: float(y.mean()), lambda y: _clipped(y, was_not_white) - clipped_at_zero),
        (target, CLIP_BUDGET + 1e-9),
        every=False,
    )
    tried = strengths[: len(means)]
    by_brightness = _first_crossing(tried, means, target)
    by_clipping = _first_crossing(tried, clipped, CLIP_BUDGET + 1e-9)
    return round(min(by_brightness, by_clipping), 2)
