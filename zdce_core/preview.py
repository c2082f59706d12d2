"""Previews: a photo reduced for the screen, its curve maps estimated once, rendered at any
strength in milliseconds (the maps do not depend on the strength)."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.cancel import Cancelled
from zdce_core.curve_maps import CurveMaps
from zdce_core.denoise import ReducedPhoto, reduced_input
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import Photo, read_image
from zdce_core.pipeline import Enhanced, check_result, render_adjusted
from zdce_core.pixels import reduced_copy

PREVIEW_LONG_SIDE = 1600
DRAFT_FACTOR = 2
"""A draft preview is this many times smaller on each side (a quarter of the pixels)."""


@dataclass(frozen=True)
class Preview:
    """A photo ready for fast re-rendering.

    ``pixels``: ``(h, w, 3)`` uint8, long side ≤ ``PREVIEW_LONG_SIDE``. ``maps``: the curve maps
    of the full photo (estimated exactly as the batch does), targeted at the preview size.
    ``reduced``: the photo reduced for denoising (:func:`~zdce_core.denoise.reduced_input`);
    ``deltas``: the preview's full-size denoise deltas by level, filled as they are needed.
    """

    path: Path
    pixels: np.ndarray
    maps: CurveMaps
    full_size: tuple[int, int]
    photo_megapixels: float
    reduced: ReducedPhoto
    deltas: dict[Denoise, torch.Tensor] = field(default_factory=dict, compare=False)


def make_preview(
    enhancer: Enhancer,
    path: Path,
    long_side: int = PREVIEW_LONG_SIDE,
    cancel: Callable[[], bool] | None = None,
    photo: Photo | None = None,
) -> Preview:
    """Read ``path`` (or use ``photo``), estimate its maps, reduce it for the screen.

    A JPEG is decoded at a reduced scale, still at least ``long_side`` long (4× faster for
    12 MP); the maps, strength and denoising then come from that decode: on the benchmark
    photos the auto strength is within 0.03 of the batch's (which decodes in full), and the
    preview's pixels differ from the batch's result reduced to its size by 2.7 levels on
    average (1.7 with a full decode: rendering then reducing is not reducing then rendering).

    Raises :class:`~zdce_core.image_io.ImageReadError` for unreadable files and
    :class:`~zdce_core.cancel.Cancelled` when ``cancel()`` turns true between steps.
    """
    should_stop = cancel or (lambda: False)
    photo = photo or read_image(path, at_least=long_side)
    if should_stop():
        raise Cancelled
    maps = enhancer.estimate_downscaled(photo.pixels)
    if should_stop():
        raise Cancelled
    screen = reduced_copy(photo.pixels, long_side)
    return Preview(
        path=path,
        pixels=screen,
        maps=maps.for_size(screen.shape[0], screen.shape[1]),
        full_size=photo.full_size,
        photo_megapixels=photo.full_size[0] * photo.full_size[1] / 1e6,
        reduced=reduced_input(photo.pixels, photo.full_size),
    )


def draft_of(preview: Preview) -> Preview:
    """``preview`` reduced ``DRAFT_FACTOR`` times, with the same maps and denoise input:
    rendered while the slider moves, at a quarter of the cost, then replaced by the full
    preview once it rests."""
    pixels = np.asarray(Image.fromarray(preview.pixels).reduce(DRAFT_FACTOR))
    maps = preview.maps.for_size(pixels.shape[0], pixels.shape[1])
    return replace(preview, pixels=pixels, maps=maps, deltas={})


class UpsampledMaps:
    """Every iteration's map of ``maps`` upsampled to full size once, for fast re-rendering.

    Memory: ``3·k`` floats per pixel (k = 8 for DCE-Net: 184 MB for a 1600×1200 preview), so
    keep one, for the preview on screen. Implements :class:`~zdce_core.curve_maps.MapSource`.
    """

    def __init__(self, maps: CurveMaps) -> None:
        self.height, self.width = maps.height, maps.width
        self.planes: list[torch.Tensor] = list(
            itertools.islice(maps.iteration_maps(0, maps.height), maps.groups)
        )

    def iteration_maps(self, r0: int, r1: int) -> Iterator[torch.Tensor]:
        strips = [plane[:, :, r0:r1] for plane in self.planes]
        return itertools.repeat(strips[0]) if len(strips) == 1 else iter(strips)


def render_preview(
    enhancer: Enhancer,
    preview: Preview,
    adjustments: Adjustments,
    maps: UpsampledMaps | None = None,
) -> Enhanced:
    """The preview ``(h, w, 3)`` uint8 enhanced with ``adjustments``, as the batch would.

    Pass the preview's :class:`UpsampledMaps` to skip upsampling the maps on every call.
    Raises :class:`~zdce_core.pipeline.BrokenResult` when the model crushed the preview to
    black or white, as the batch would refuse to write it.
    """
    enhanced = render_adjusted(
        enhancer,
        preview.pixels,
        preview.maps,
        adjustments,
        preview.reduced,
        maps,
        deltas=preview.deltas,
    )
    check_result(preview.pixels, enhanced.pixels)
    return enhanced


class PreviewCache:
    """The most recently used previews (their maps are the expensive part), by path."""

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Path, Preview] = OrderedDict()

    def get(self, path: Path) -> Preview | None:
        preview = self._items.get(path)
        if preview is not None:
            self._items.move_to_end(path)
        return preview

    def put(self, preview: Preview) -> None:
        self._items[preview.path] = preview
        self._items.move_to_end(preview.path)
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()
