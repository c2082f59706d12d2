"""How grainy a photo's shadows are, measured on its decode: auto exposure lifts a grainy
photo less (:func:`zdce_core.exposure.choose_exposure`).

Lifting a dark region multiplies its sensor noise with it; on a noisy night photo (a
motocross track under floodlights, a parking lot at night) the full lift turned the scene
into a grey, grainy fog that blind judges rejected against results a little darker. The
grain is measured where it shows when lifted: in dark, smooth parts of the photo. Along
rows of the photo (``SAMPLED_ROWS`` of them, evenly spaced), each pixel's luma minus the
mean of its two neighbours is the high-pass; its median absolute value, as a standard
deviation (× 1.4826 / √1.5), is divided by the mean luma of those pixels: the grain
relative to the level it will be lifted from. Only pixels whose 9-pixel row mean (fewer at
the ends of a row) lies between ``DARK_FROM`` and ``DARK_TO`` of full scale count, and a
photo with less than ``DARK_SHARE`` of them has no grain to lift (0).

The grain is measured at the scale a preview decodes a large JPEG at (halved up to three
times while the long side stays at least ``MEASURE_LONG_SIDE``; :func:`measure_reduction`):
a full decode is averaged down to it, so the batch and the preview measure the same photo
alike. Cost: about 7 ms for a 12 MP photo.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from zdce_core.boxfilter import window_sum
from zdce_core.luma_ramps import LUMA

SAMPLED_ROWS = 64
DARK_FROM, DARK_TO = 0.01, 0.12
"""Row-mean luma (of full scale) of the pixels the grain is measured on."""
DARK_SHARE = 0.02
"""Photos with fewer such pixels have no grain to lift."""
ROW_WINDOW = 9
MEASURE_LONG_SIDE = 1600
"""The grain is measured with the photo halved while its long side stays at least this
(``zdce_core.preview.PREVIEW_LONG_SIDE``: the scale a preview decodes a JPEG at)."""


def measure_reduction(long_side: int) -> int:
    """How many times (1, 2, 4 or 8) a photo whose long side is ``long_side`` pixels is
    reduced on each side before its grain is measured."""
    factor = 1
    while factor < 8 and long_side / (2 * factor) >= MEASURE_LONG_SIDE:
        factor *= 2
    return factor


def _sampled_rows(pixels: np.ndarray, factor: int) -> np.ndarray:
    """``(n, W / factor)`` luma of about ``SAMPLED_ROWS`` rows of ``pixels`` ``(H, W, 3)``
    reduced ``factor`` times (each a mean of ``factor`` × ``factor`` blocks)."""
    height, width = pixels.shape[0] // factor, pixels.shape[1] // factor
    starts = np.arange(0, height, max(1, height // SAMPLED_ROWS)) * factor
    rows = pixels[starts[:, None] + np.arange(factor)][:, :, : width * factor]
    luma = rows.astype(np.float32) @ np.asarray(LUMA, np.float32)
    return luma.reshape(len(starts), factor, width, factor).mean(axis=(1, 3))


def shadow_grain(pixels: np.ndarray, full_size: tuple[int, int] | None = None) -> float:
    """The relative grain (standard deviation over level, ≥ 0) of the dark, smooth pixels
    of ``pixels`` ``(H, W, 3)`` uint8 or uint16. ``full_size``: ``(height, width)`` of the
    photo when ``pixels`` is a reduced decode of it (a preview's)."""
    height, width = full_size or pixels.shape[:2]
    decoded = max(1, round(width / pixels.shape[1]))
    factor = max(1, measure_reduction(max(height, width)) // decoded)
    rows = _sampled_rows(pixels, factor)
    if rows.shape[0] == 0 or rows.shape[1] < ROW_WINDOW + 2:  # too small to tell
        return 0.0
    as_tensor, half = torch.from_numpy(rows), ROW_WINDOW // 2
    counts = window_sum(torch.ones_like(as_tensor[:1]), 1, half)
    local = window_sum(as_tensor, 1, half).div_(counts).numpy()[:, 1:-1]
    high = rows[:, 1:-1] - 0.5 * (rows[:, :-2] + rows[:, 2:])
    top = float(np.iinfo(pixels.dtype).max)
    dark = (local > DARK_FROM * top) & (local < DARK_TO * top)
    if dark.mean() < DARK_SHARE:
        return 0.0
    sigma = float(np.median(np.abs(high[dark]))) * 1.4826 / math.sqrt(1.5)
    return sigma / max(float(rows[:, 1:-1][dark].mean()), 1e-6)
