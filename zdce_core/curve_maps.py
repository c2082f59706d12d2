"""Curve maps as the renderer consumes them: strip by strip, one map per iteration.

:class:`CurveMaps` are estimated on a downscaled copy and upsampled bilinearly strip by
strip; :class:`FullResMaps` are estimated on the full-size image, in tiles, when asked for.
Either is a :class:`MapSource`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from zdce_core.curves import map_channels
from zdce_core.nets import RECEPTIVE_RADIUS
from zdce_core.pixels import to_unit_float
from zdce_core.upsample import upsample_rows, widen

FULL_RES_TILE = 512
FULL_RES_HALO = RECEPTIVE_RADIUS + 1


class NetRunner(Protocol):
    """What estimates maps: a device and ``run_net`` (an :class:`~zdce_core.enhancer.Enhancer`)."""

    @property
    def device(self) -> torch.device: ...

    def run_net(self, x: torch.Tensor) -> torch.Tensor: ...


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

    enhancer: NetRunner
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
