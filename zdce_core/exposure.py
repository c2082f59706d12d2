"""Auto exposure (a strength per photo) and highlight protection.

Highlight protection does two things. The curve maps are scaled down where the region is
already bright (:func:`highlight_scale`), so lamps, windows and sky are not lifted further
and do not grow halos. And it caps every channel value at ``1 − HEADROOM·√(1 − x₀)`` of its input
``x₀``: a channel at or below 251/255 (``PROTECT_BELOW``) is never pushed to 254 or 255, which
the curves of a dark photo do to everything near white. The cap stays above 0.95 for every
input, so it only bends the top of the range. (Without it, the lamps of a night photo would
use up auto exposure's clipping budget at strength 1 and leave the photo dark.) It is an
increasing function of ``x₀`` and so are the curves, so their minimum is too: the tonal
order of a channel is kept and no band appears at the cap.

Auto exposure renders the small estimation copy (the maps are already estimated for it) at a
grid of strengths and picks, by linear interpolation on the grid, the strength whose mean
brightness reaches the target, then lowers it if more than ``CLIP_BUDGET`` of the pixels
that were not near white would become clipped (with highlight protection on, none can).
A photo at or above the target gets strength 0. Cost: about ten passes over a copy at most
``SEARCH_SIZE`` pixels long, batched (milliseconds).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from zdce_core.boxfilter import box_mean
from zdce_core.curves import MAX_STRENGTH, iteration_map

CLIP_LEVEL = 253.5 / 255.0
"""An 8-bit channel at or above this rounds to 254 or 255: clipped, as photo metrics count it."""
PROTECT_BELOW = 251.5 / 255.0
HEADROOM = (1.0 - CLIP_LEVEL) / math.sqrt(1.0 - PROTECT_BELOW)
CLIP_BUDGET = 0.003
"""At most this fraction of pixels (0.3 %) may become clipped by auto exposure."""
SEARCH_SIZE = 128
"""Long side the strengths are tried at: on the dev photos, strengths chosen at 128 px differ
from those at 256 px by 0.03 on average (at most 0.1), at a quarter of the cost."""
GRID_STEP = 0.5
"""Strengths tried: every full iteration and the half-way point of each."""


BRIGHT_FROM, BRIGHT_TO, BRIGHT_FLOOR = 0.5, 0.95, 0.4
"""Where the surroundings' lightness rises from ``BRIGHT_FROM`` to ``BRIGHT_TO``, the curves'
effect is scaled down smoothly to ``BRIGHT_FLOOR``."""
BRIGHT_WINDOW = 15 / 512
"""Side of the surroundings, as a fraction of the estimation copy's long side: wide enough
that the scaling fades out gradually around a lamp instead of drawing a dark ring."""


def highlight_scale(source: torch.Tensor) -> torch.Tensor:
    """``(1, 1, h, w)`` factors in [BRIGHT_FLOOR, 1] for the curve maps of ``source``
    ``(1, 3, h, w)`` in [0, 1]: 1 in dark and mid-tone regions, smaller where the region
    (a square ``BRIGHT_WINDOW`` of the long side wide) is already bright: lamps, windows,
    sky. The factors are smoother than the maps, so scaling adds no edge of its own."""
    radius = max(1, round(BRIGHT_WINDOW * max(source.shape[2:]) / 2))
    lightness = box_mean(source.float().amax(1, keepdim=True), radius)
    t = ((lightness - BRIGHT_FROM) / (BRIGHT_TO - BRIGHT_FROM)).clamp_(0.0, 1.0)
    return 1.0 - (1.0 - BRIGHT_FLOOR) * t * t * (3.0 - 2.0 * t)


def cap_highlights_(y: torch.Tensor, x0: torch.Tensor) -> torch.Tensor:
    """Cap ``y`` (curves applied, in [0, 1]) in place by its input ``x0`` (same shape)."""
    cap = x0.neg().add_(1.0).sqrt_().mul_(-HEADROOM).add_(1.0)
    return torch.minimum(y, cap, out=y)


def _grid_stats(
    x0: torch.Tensor, maps: torch.Tensor, protect: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Strengths 0, 0.5, …, 8 and the mean brightness and the fraction of pixels clipped at
    each, among those that were not already near white (≤ 251/255: lamps, at the sensor's
    limit, are not counted). All 17 results are judged together, in a few batched passes.

    ``x0`` ``(1, 3, h, w)`` in [0, 1]; ``maps`` ``(1, 3·k, h, w)``.
    """
    results = [x0]
    x = x0
    for i in range(int(MAX_STRENGTH)):
        step = iteration_map(maps, i) * (x * x - x)
        results.append(x + GRID_STEP * step)
        x = x + step
        results.append(x)
    y = torch.cat(results)
    if protect:
        cap_highlights_(y, x0)
    was_not_white = x0.amax(1) < PROTECT_BELOW
    means = y.mean(dim=(1, 2, 3))
    clipped = ((y.amax(1) >= CLIP_LEVEL) & was_not_white).float().mean(dim=(1, 2))
    strengths = np.arange(len(results)) * GRID_STEP
    return strengths, means.numpy().astype(np.float64), clipped.numpy().astype(np.float64)


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


def choose_strength(
    small: torch.Tensor, maps: torch.Tensor, target: float, protect: bool = True
) -> float:
    """The auto-exposure strength in [0, 8] for a photo.

    ``small``: ``(1, 3, h, w)`` float in [0, 1], the copy the ``maps`` ``(1, 3·k, h, w)`` were
    estimated on. ``target``: mean RGB brightness in (0, 1) to reach. ``protect``: judge the
    result with highlight protection on (as it will be rendered).
    """
    small, maps = small.float().cpu(), maps.float().cpu()
    h, w = small.shape[2:]
    if max(h, w) > SEARCH_SIZE:
        scale = SEARCH_SIZE / max(h, w)
        size = (max(1, round(h * scale)), max(1, round(w * scale)))
        small = F.interpolate(small, size=size, mode="area")
        maps = F.interpolate(maps, size=size, mode="area")
    with torch.inference_mode():
        strengths, means, clipped = _grid_stats(small, maps, protect)
    by_brightness = _first_crossing(strengths, means, target)
    by_clipping = _first_crossing(strengths, clipped - clipped[0], CLIP_BUDGET + 1e-9)
    return round(min(by_brightness, by_clipping), 2)
