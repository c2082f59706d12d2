"""Before/after luminance histograms under the preview, with a warning when the result
pushes lit areas to near-white (luminance 240 or more: texture lost, clipped or not)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from zdce_core.histogram import Histogram

CLIP_WARNING = 0.001
"""The highlights indicator lights up when the near-white share grows by more than this (0.1
percentage point)."""
BEFORE_COLOUR, AFTER_COLOUR, CLIP_COLOUR = "#9e9e9e", "#42a5f5", "#e53935"


class HistogramView(QWidget):
    """Draws the ``before`` histogram in gray and the ``after`` one in blue on a square-root
    scale (small counts stay visible); a red corner and label when ``after`` clips."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(160, 56)
        self.setMaximumHeight(72)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.before: Histogram | None = None
        self.after: Histogram | None = None
        self.setToolTip(
            "Luminance: gray before, blue after; red: lit areas pushed to near-white "
            "(240 or more: their texture is lost)"
        )

    def set_histograms(self, before: Histogram | None, after: Histogram | None) -> None:
        self.before, self.after = before, after
        self.update()

    @property
    def clipping(self) -> bool:
        """Whether the result's near-white share grew by more than ``CLIP_WARNING``."""
        if self.after is None:
            return False
        was = self.before.near_white if self.before is not None else 0.0
        return self.after.near_white - was > CLIP_WARNING

    def clip_text(self) -> str:
        """``"near-white 16.0 % (was 0.5 %)"``: how much of the result is near white, and
        before."""
        if self.after is None:
            return ""
        was = f" (was {100 * self.before.near_white:.1f} %)" if self.before is not None else ""
        return f"near-white {100 * self.after.near_white:.1f} %{was}"

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        p.fillRect(area, QColor("#202020"))
        peak = max(
            (float(np.sqrt(h.counts).max()) for h in (self.before, self.after) if h is not None),
            default=0.0,
        )
        for hist, colour in ((self.before, BEFORE_COLOUR), (self.after, AFTER_COLOUR)):
            if hist is None or peak <= 0:
                continue
            heights = np.sqrt(hist.counts) / peak
            n = len(heights)
            path = QPainterPath(QPointF(area.left(), area.bottom()))
            for i, h in enumerate(heights):
                x = area.left() + area.width() * (i + 0.5) / n
                path.lineTo(QPointF(x, area.bottom() - float(h) * (area.height() - 4)))
            path.lineTo(QPointF(area.right(), area.bottom()))
            path.closeSubpath()
            fill = QColor(colour)
            fill.setAlpha(140)
            p.fillPath(path, fill)
        if self.clipping:
            assert self.after is not None
            corner = QPolygonF(
                [
                    QPointF(area.right() - 14, area.top()),
                    QPointF(area.right(), area.top()),
                    QPointF(area.right(), area.top() + 14),
                ]
            )
            p.setBrush(QColor(CLIP_COLOUR))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawPolygon(corner)
            p.setPen(QColor(CLIP_COLOUR))
            p.drawText(
                area.adjusted(0, 0, -18, 0),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                self.clip_text(),
            )
