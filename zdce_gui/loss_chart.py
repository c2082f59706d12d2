"""A small line chart of training losses (QtCharts is not part of PySide6-Essentials)."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

LOSS_NAMES = {
    "total": "total",
    "spa": "spatial consistency",
    "exp": "exposure",
    "col": "colour constancy",
    "tv": "smoothness",
}
"""The zero-reference losses in the words the chart and the settings use."""
STEP_SERIES = "step"
COLOURS = {
    STEP_SERIES: "#9e9e9e",
    "total": "#1565c0",
    "spa": "#6a1b9a",
    "exp": "#ef6c00",
    "col": "#2e7d32",
    "tv": "#c62828",
}
MARGIN_LEFT, MARGIN = 52, 8


class LossChart(QWidget):
    """Series of ``(x, y)`` points drawn on a log-scaled y axis; dashed for validation.

    ``add(name, x, y)`` appends; names are a key of ``LOSS_NAMES`` (training, per epoch),
    ``"val <key>"`` (validation, dashed) or ``"step"`` (the total loss of each step, at
    fractional epochs, so the chart moves from the first step on). The legend uses
    ``LOSS_NAMES``; a series of one point is drawn as a dot.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.series: dict[str, list[tuple[float, float]]] = {}

    def add(self, name: str, x: float, y: float) -> None:
        if math.isfinite(y) and y > 0:
            self.series.setdefault(name, []).append((x, y))
            self.update()

    def clear(self) -> None:
        self.series.clear()
        self.update()

    def _bounds(self) -> tuple[float, float, float, float]:
        points = [p for s in self.series.values() for p in s]
        xs = [p[0] for p in points]
        ys = [math.log10(p[1]) for p in points]
        x0, x1 = min(xs), max(xs)
        y0, y1 = math.floor(min(ys)), math.ceil(max(ys))
        return x0, max(x1, x0 + 1e-9), y0, max(y1, y0 + 1)

    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), self.palette().base())
        metrics = p.fontMetrics()
        keys = [name for name in self.series if not name.startswith("val ")]
        labels = ["each step" if k == STEP_SERIES else LOSS_NAMES.get(k, k) for k in keys]
        widths = [24 + metrics.horizontalAdvance(label) for label in labels]
        note = "(dashed: validation)"
        line_width = self.width() - MARGIN_LEFT - MARGIN - 12
        rows = 1 + (sum(widths) + metrics.horizontalAdvance(note)) // max(line_width, 1)
        legend_height = rows * (metrics.height() + 2) + 4  # the legend sits above the plot
        plot = QRectF(
            MARGIN_LEFT,
            MARGIN + legend_height,
            self.width() - MARGIN_LEFT - MARGIN,
            self.height() - 2 * MARGIN - 18 - legend_height,
        )
        text = self.palette().text().color()
        if not self.series:
            p.setPen(text)
            p.drawText(
                self.rect(), Qt.AlignmentFlag.AlignCenter, "Losses appear here as training runs"
            )
            return
        x0, x1, y0, y1 = self._bounds()

        def to_screen(x: float, y: float) -> QPointF:
            fx = (x - x0) / (x1 - x0)
            fy = (math.log10(y) - y0) / (y1 - y0)
            return QPointF(plot.left() + fx * plot.width(), plot.bottom() - fy * plot.height())

        p.setPen(QPen(text, 1))
        for decade in range(int(y0), int(y1) + 1):
            y = to_screen(x0, 10.0**decade).y()
            p.setPen(QPen(QColor(text.red(), text.green(), text.blue(), 50), 1))
            p.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            p.setPen(text)
            p.drawText(
                QRectF(0, y - 8, MARGIN_LEFT - 4, 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                f"1e{decade}",
            )
        p.drawText(
            QRectF(plot.left(), plot.bottom() + 2, plot.width(), 16),
            Qt.AlignmentFlag.AlignCenter,
            "epoch",
        )
        axis = QRectF(plot.left(), plot.bottom() + 2, plot.width(), 16)
        p.drawText(axis, Qt.AlignmentFlag.AlignLeft, f"{x0:g}")
        p.drawText(axis, Qt.AlignmentFlag.AlignRight, f"{x1:g}")
        legend_x, legend_y = plot.left() + 6, float(MARGIN + 8)

        def legend_room(width: float) -> None:
            """Start a new legend row when ``width`` more pixels do not fit on this one."""
            nonlocal legend_x, legend_y
            if legend_x + width > plot.right() and legend_x > plot.left() + 6:
                legend_x, legend_y = plot.left() + 6, legend_y + metrics.height() + 2

        for name, points in self.series.items():
            key = name.removeprefix("val ")
            pen = QPen(QColor(COLOURS.get(key, "#555555")), 2 if key == "total" else 1.2)
            if name.startswith("val "):
                pen.setStyle(Qt.PenStyle.DashLine)
            p.setPen(pen)
            if len(points) == 1:
                p.drawEllipse(to_screen(*points[0]), 2.5, 2.5)
            else:
                path = QPainterPath(to_screen(*points[0]))
                for point in points[1:]:
                    path.lineTo(to_screen(*point))
                p.drawPath(path)
        for key, label, width in zip(keys, labels, widths, strict=True):
            legend_room(width)
            p.setPen(QPen(QColor(COLOURS.get(key, "#555555")), 2))
            p.drawLine(QPointF(legend_x, legend_y), QPointF(legend_x + 14, legend_y))
            p.setPen(text)
            p.drawText(QPointF(legend_x + 17, legend_y + 4), label)
            legend_x += width
        legend_room(6 + metrics.horizontalAdvance(note))
        p.setPen(text)
        p.drawText(QPointF(legend_x + 6, legend_y + 4), note)
