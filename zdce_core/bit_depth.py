"""Bit depth of pixel arrays, without the file formats (the engine uses it; it imports no
image library and no torch)."""

from __future__ import annotations

import numpy as np


def eight_bit(pixels: np.ndarray) -> np.ndarray:
    """``pixels`` as uint8: uint16 (0–65535) scaled to 0–255, uint8 unchanged."""
    return (pixels // 257).astype(np.uint8) if pixels.dtype == np.uint16 else pixels
