"""Luminance histograms of a photo, as photographers read exposure from them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zdce_core.image_io import eight_bit

BINS = 64
CLIP_LEVEL = 254
"""A pixel whose luminance (0–255) reaches this is counted as clipped highlight."""


@dataclass(frozen=True)
class Histogram:
    """``counts``: ``BINS`` shares of the pixels (summing to 1) over luminance 0–255;
    ``clipped``: the share of pixels at ``CLIP_LEVEL`` or above; ``mean``: in [0, 1]."""

    counts: np.ndarray
    clipped: float
    mean: float


def luminance_histogram(rgb: np.ndarray, step: int = 2) -> Histogram:
    """The Rec. 709 luminance histogram of ``rgb`` ``(H, W, 3)`` uint8/uint16, judged on
    every ``step``-th pixel each way (a preview has plenty)."""
    pixels = eight_bit(rgb[::step, ::step]).astype(np.float32)
    luma = pixels @ np.array([0.2126, 0.7152, 0.0722], dtype=np.float32)
    counts, _ = np.histogram(luma, bins=BINS, range=(0.0, 256.0))
    total = max(int(counts.sum()), 1)
    return Histogram(
        counts=counts / total,
        clipped=float(np.count_nonzero(luma >= CLIP_LEVEL)) / total,
        mean=float(luma.mean()) / 255.0 if luma.size else 0.0,
    )
