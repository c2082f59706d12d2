"""What the batch prepares ahead of a photo's turn, in threads of its own: the photo's decode
(for the first photo, the one the command line may have started before importing torch) and,
for large photos, its analysis (:func:`~zdce_core.pipeline.analyse_photo`) while the previous
result is checked and encoded, when a core would otherwise idle."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from zdce_core.adjustments import Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import ImageReadError
from zdce_core.pipeline import Analysis, analyse_photo
from zdce_core.raw_io import WhiteBalance
from zdce_core.read_ahead import EarlyRead, Loaded, load

AHEAD_FROM = 2.0
"""Megapixels from which the next photo is analysed while a result is encoded: 3 × 12 MP
2.95 → 2.87 s whole command; below, the thread's hand-offs cost more than the encode they
overlap (64 photos of 0.3 MP: 4.46 → 4.53 s when they were analysed ahead too)."""


def analyse_ahead(
    loading: Future[Loaded], enhancer: Enhancer, adjustments: Adjustments
) -> Analysis | None:
    """The analysis of the photo ``loading`` decodes; ``None`` for a small photo (analysed
    in its turn) or one that cannot be read (its turn says why)."""
    loaded = loading.result()
    if isinstance(loaded, ImageReadError) or loaded.megapixels < AHEAD_FROM:
        return None
    return analyse_photo(enhancer, loaded.pixels, adjustments)


def first_load(
    pool: ThreadPoolExecutor, early: EarlyRead | None, path: Path, white_balance: WhiteBalance
) -> Future[Loaded]:
    """The decode of the batch's first photo: the early one when it is of this photo, else
    one started now. (A function of its own: a name for the early decode in the batch's
    generator would hold the photo to the end of the batch.)"""
    taken = early.take(path, white_balance) if early is not None else None
    return taken if taken is not None else pool.submit(load, path, white_balance)
