"""Sizing top-level windows to the screen they open on."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QWidget

FRAME_ALLOWANCE = QSize(16, 48)
"""Pixels a window manager's frame (title bar, borders) adds around a window."""


def size_within_screen(window: QWidget, width: int, height: int) -> bool:
    """Resize ``window`` to ``width``×``height``, or less where its screen's free area
    (without panels and the frame) is smaller; true when it had to be smaller."""
    area = window.screen().availableGeometry().size() - FRAME_ALLOWANCE
    fitted = QSize(min(width, area.width()), min(height, area.height()))
    window.resize(fitted)
    return fitted != QSize(width, height)
