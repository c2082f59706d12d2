"""Pixels to Qt images: a numpy RGB array as a :class:`QImage` the views can draw."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def to_qimage(rgb: np.ndarray) -> QImage:
    """A QImage sharing a copy of ``(H, W, 3)`` uint8 RGB (8-bit view of 16-bit data)."""
    if rgb.dtype != np.uint8:
        rgb = (rgb // 257).astype(np.uint8)
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return image.copy()  # own the pixels; the numpy buffer may go away
