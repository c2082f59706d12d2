"""Before/after luminance histograms under the preview, with a clipped-highlights warning."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

if TYPE_CHECKING:
    from zdce_core.histogram import Histogram

CLIP_WARNING = 0.001
"""The clipped-highlights indicator lights up above this share of clipped pixels (0.1 %)."""
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
        self.setToolTip("Luminance: gray before, blue after; red: highlights clipped to white")

    def set_histograms(self, before: Histogram | None, after: Histogram | None) -> None:
        self.before, self.after = before, after
        self.update()

    @property
    def clipping(self) -> bool:
        return self.after is not None and self.after.clipped > CLIP_WARNING

    def clip_text(self) -> str:
        """``"clipped 1.2 % (was 0.1 %)"``: how much of the result is white, and before."""
        if self.after is None:
            return ""
        was = f" (was {100 * self.before.clipped:.1f} %)" if self.before is not None else ""
        return f"clipped {100 * self.after.clipped:.1f} %{was}"

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
