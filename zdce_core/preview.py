"""Previews: a photo reduced for the screen, its curve maps estimated once, rendered at any
strength in milliseconds (the maps do not depend on the strength)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zdce_core.enhancer import Cancelled, CurveMaps, Enhancer, reduced_copy
from zdce_core.image_io import Photo, read_image

PREVIEW_LONG_SIDE = 1600


@dataclass(frozen=True)
class Preview:
    """A photo ready for fast re-rendering.

    ``pixels``: ``(h, w, 3)`` uint8, long side ≤ ``PREVIEW_LONG_SIDE``. ``maps``: the curve maps
    of the full photo (estimated exactly as the batch does), targeted at the preview size.
    """

    path: Path
    pixels: np.ndarray
    maps: CurveMaps
    full_size: tuple[int, int]
    photo_megapixels: float


def make_preview(
    enhancer: Enhancer,
    path: Path,
    long_side: int = PREVIEW_LONG_SIDE,
    cancel: Callable[[], bool] | None = None,
    photo: Photo | None = None,
) -> Preview:
    """Read ``path`` (or use ``photo``), estimate its maps, reduce it for the screen.

    Raises :class:`~zdce_core.image_io.ImageReadError` for unreadable files and
    :class:`~zdce_core.enhancer.Cancelled` when ``cancel()`` turns true between steps.
    """
    should_stop = cancel or (lambda: False)
    photo = photo or read_image(path)
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
        full_size=(photo.height, photo.width),
        photo_megapixels=photo.megapixels,
    )


def render_preview(enhancer: Enhancer, preview: Preview, strength: float) -> np.ndarray:
    """``(h, w, 3)`` uint8: the preview enhanced at ``strength`` in [0, 8]."""
    return enhancer.render(preview.pixels, preview.maps, strength)


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
