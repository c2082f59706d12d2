"""A before/after compare view: draggable split line or side by side, zoom and pan in sync.

Hold Space to see the original. Mouse wheel zooms around the cursor; drag pans (in split mode,
dragging near the line moves the line). Double-click toggles fit / 100%.

The zoom is in screen pixels per pixel of the photo (``photo_size``), whatever the size of
the images shown (a preview is smaller than its photo, and is magnified to fill its place).
From 100 % a :class:`LoupeTile` — the part of the photo on screen, at full resolution — is
drawn over them where it lies.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from zdce_gui.qimage import to_qimage as to_qimage  # where the app and its tests take it


class ViewMode(Enum):
    """How before and after are shown: one picture split by a line, or two side by side."""

    SPLIT = "split"
    SIDE_BY_SIDE = "side"


class Pane(Enum):
    """What a pane shows: the original, the photo rendered with a model compared with, or the
    result."""

    ORIGINAL = "original"
    OTHER = "other"
    AFTER = "after"


class Drag(Enum):
    """What a mouse drag moves."""

    SPLIT_LINE = "split line"
    PICTURE = "picture"


GRAB_DISTANCE = 8  # pixels around the split line that grab it
LOUPE_FROM = 1.0
"""From this zoom (100 %: a screen pixel per photo pixel) the loupe's tile is shown."""
PLACEHOLDER = "Add photos, then select one to preview it."
"""What the view says while it shows no photo."""


@dataclass(frozen=True)
class LoupeTile:
    """``rect`` of the photo (in its pixels) before and after, at full resolution; ``other``:
    rendered with the model compared with, when one is."""

    rect: QRect
    before: QImage
    after: QImage
    other: QImage | None = None


class CompareView(QWidget):
    """Shows ``before`` and ``after`` images of the same size, standing for a photo of
    ``photo_size``; state is plain attributes. ``zoom_changed`` sends the zoom (1.0: 100 %);
    ``region_changed`` says the part of the photo on screen changed (zoom, pan, size, mode,
    images).

    When two models are compared, ``other`` (the photo rendered with the other model) takes
    the original's place in the Before pane, labelled ``other_label``; ``after_label`` names
    the After pane's model. Holding Space shows the original in both panes."""

    zoom_changed = Signal(float)
    region_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.before: QImage | None = None
        self.after: QImage | None = None
        self.other: QImage | None = None
        self.other_label: str | None = None
        self.after_label = "After"
        self.photo_size = QSize()
        self.loupe: LoupeTile | None = None
        self.mode = ViewMode.SPLIT
        self.split = 0.5  # fraction of the view's width
        self.fit = True
        self.scale = 1.0  # the zoom when not fitting: device pixels per photo pixel
        self.center = QPointF(0.5, 0.5)  # image point (fractions) at the viewport centre
        self.showing_original = False
        self.message = PLACEHOLDER
        self._drag: Drag | None = None
        self._last = QPointF()

    # state -------------------------------------------------------------------------------
    def set_images(
        self,
        before: QImage | None,
        after: QImage | None,
        *,
        refit: bool = False,
        photo_size: QSize | None = None,
    ) -> None:
        """Show ``before`` and ``after`` for a photo of ``photo_size`` (default: theirs);
        ``refit`` (another photo) opens it fitted, as at start. Without ``refit`` the zoom is
        kept (the same photo, shown again). The loupe's tile and the other model's picture go
        (new images)."""
        size = photo_size or (before.size() if before is not None else QSize())
        new_size = before is not None and size != self.photo_size
        self.before, self.after, self.photo_size, self.loupe = before, after, size, None
        self.other, self.other_label = None, None
        if refit:
            self.fit = True
        if new_size or refit:
            self.center = QPointF(0.5, 0.5)
        self._changed()

    def set_after(self, after: QImage) -> None:
        self.after = after
        self.update()

    def set_other(self, other: QImage | None, label: str | None) -> None:
        """Show ``other`` (the photo rendered with another model) in the Before pane, labelled
        ``label``; without ``other`` the pane shows the original (``label``, if any, says why)."""
        self.other, self.other_label = other, label
        self.update()

    def set_after_label(self, label: str) -> None:
        """Name the After pane: "After", or the model in use while comparing models."""
        self.after_label = label
        self.update()

    def set_loupe(self, tile: LoupeTile | None) -> None:
        """Draw ``tile`` over the images from 100 % (``None``: none)."""
        self.loupe = tile
        self.update()

    def visible_region(self) -> QRect | None:
        """The part of the photo (in its pixels) one pane shows; ``None`` when none."""
        if self.before is None:
            return None
        rect = self._image_rect()
        s = self._widget_scale()
        vw, vh = self._viewport_size()
        left, top = max(0.0, -rect.x() / s), max(0.0, -rect.y() / s)
        right = min(float(self.photo_size.width()), (vw - rect.x()) / s)
        bottom = min(float(self.photo_size.height()), (vh - rect.y()) / s)
        x0, y0 = int(np.floor(left)), int(np.floor(top))
        x1, y1 = int(np.ceil(right)), int(np.ceil(bottom))
        return QRect(x0, y0, x1 - x0, y1 - y0) if x1 > x0 and y1 > y0 else None

    def _changed(self) -> None:
        """The zoom or the part on screen changed: tell, and repaint."""
        self.zoom_changed.emit(self.current_scale())
        self.region_changed.emit()
        self.update()

    def clear(self) -> None:
        """Show no photo: an empty view with the placeholder text."""
        self.message = PLACEHOLDER
        self.set_images(None, None, refit=True)

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def set_mode(self, mode: ViewMode) -> None:
        """Switch modes; a fitted picture gets smaller side by side, so the zoom is re-sent."""
        self.mode = mode
        self._changed()

    def set_fit(self) -> None:
        self.fit = True
        self.center = QPointF(0.5, 0.5)
        self._changed()

    def set_zoom(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale`` device px per photo px, keeping ``anchor`` (widget coords) still."""
        if self.before is None:
            return
        scale = float(np.clip(scale, 0.02, 16.0))
        if anchor is not None:
            before = self._to_image(anchor)
            self.fit, self.scale = False, scale
            after = self._to_image(anchor)
            w, h = self.photo_size.width(), self.photo_size.height()
            self.center += QPointF((before.x() - after.x()) / w, (before.y() - after.y()) / h)
        self.fit, self.scale = False, scale
        self._changed()

    def current_scale(self) -> float:
        """The zoom: the screen's (device) pixels per photo pixel; 1.0 is 100 %, also on a
        high-density screen (where a widget pixel is several device pixels)."""
        if self.before is None:
            return 1.0
        if not self.fit:
            return self.scale
        vw, vh = self._viewport_size()
        w, h = self.photo_size.width(), self.photo_size.height()
        dpr = self.devicePixelRatioF()
        return min(1.0, dpr * vw / w, dpr * vh / h)  # never enlarge

    def _widget_scale(self) -> float:
        """Widget (logical) pixels per photo pixel."""
        return self.current_scale() / self.devicePixelRatioF()

    # geometry ----------------------------------------------------------------------------
    def _viewport_size(self) -> tuple[float, float]:
        w = self.width() / 2 if self.mode is ViewMode.SIDE_BY_SIDE else self.width()
        return max(w, 1.0), max(float(self.height()), 1.0)

    def _image_rect(self, viewport_left: float = 0.0) -> QRectF:
        """Where the image lies in widget coordinates for a viewport starting at ``left``."""
        assert self.before is not None
        s = self._widget_scale()
        vw, vh = self._viewport_size()
        iw, ih = self.photo_size.width() * s, self.photo_size.height() * s
        x = viewport_left + vw / 2 - self.center.x() * iw
        y = vh / 2 - self.center.y() * ih
        return QRectF(x, y, iw, ih)

    def _pane_left(self, x: float) -> float:
        """The left edge of the pane under widget x: side by side, the After pane starts
        half way; both panes show the same part of the photo."""
        half = self.width() / 2
        return half if self.mode is ViewMode.SIDE_BY_SIDE and x >= half else 0.0

    def _to_image(self, point: QPointF) -> QPointF:
        """Widget point → photo pixel coordinates, in whichever pane the point lies."""
        rect = self._image_rect(self._pane_left(point.x()))
        s = self._widget_scale()
        return QPointF((point.x() - rect.x()) / s, (point.y() - rect.y()) / s)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._changed()

    # painting ----------------------------------------------------------------------------
    def paintEvent(self, _event) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window().color().darker(115))
        if self.before is None:
            p.setPen(self.palette().text().color())
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.message)
            return
        no_after = self.showing_original or self.after is None  # the original there too
        right = Pane.ORIGINAL if no_after else Pane.AFTER
        left = Pane.ORIGINAL if self.showing_original or self.other is None else Pane.OTHER
        left_label = "Before" if self.showing_original else (self.other_label or "Before")
        if self.mode is ViewMode.SIDE_BY_SIDE:
            half = self.width() / 2
            p.setClipRect(QRectF(0, 0, half, self.height()))
            self._draw(p, self._image_rect(0), left)
            p.setClipRect(QRectF(half, 0, half, self.height()))
            self._draw(p, self._image_rect(half), right)
            p.setClipping(False)
            p.setPen(QPen(QColor(255, 255, 255, 160), 1))
            p.drawLine(QPointF(half, 0), QPointF(half, self.height()))
            self._label(p, 8, left_label)
            original = self.showing_original
            self._label(p, half + 8, "Original (Space)" if original else self.after_label)
        elif self.showing_original:
            self._draw(p, self._image_rect(), Pane.ORIGINAL)
            self._label(p, 8, "Original (Space)")
        else:
            rect = self._image_rect()
            x = self.split * self.width()
            p.setClipRect(QRectF(0, 0, x, self.height()))
            self._draw(p, rect, left)
            p.setClipRect(QRectF(x, 0, self.width() - x, self.height()))
            self._draw(p, rect, right)
            p.setClipping(False)
            p.setPen(QPen(QColor(255, 255, 255, 220), 2))
            p.drawLine(QPointF(x, 0), QPointF(x, self.height()))
            self._label(p, 8, left_label)
            self._label(p, self.width() - 8, self.after_label, right_aligned=True)
        if self.message:
            self._label(p, 8, self.message, bottom=True)

    def _images(self, pane: Pane) -> tuple[QImage, QImage | None]:
        """What ``pane`` shows: its picture, and its part of the loupe's tile (if any)."""
        assert self.before is not None
        tile = self.loupe
        if pane is Pane.OTHER and self.other is not None:
            return self.other, None if tile is None else tile.other
        if pane is Pane.AFTER and self.after is not None:
            return self.after, None if tile is None else tile.after
        return self.before, None if tile is None else tile.before

    def _draw(self, p: QPainter, rect: QRectF, pane: Pane) -> None:
        """``pane``'s picture (smoothed when it is reduced, or a magnified stand-in for the
        photo) in ``rect``, the photo's place; then its part of the loupe's tile where it
        lies, pixel for pixel from 100 %."""
        image, tile_image = self._images(pane)
        s = self.current_scale()
        stand_in = image.width() < self.photo_size.width()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, s < 1 or stand_in)
        p.drawImage(rect, image)
        tile = self.loupe
        if tile is None or tile_image is None or s < LOUPE_FROM:
            return
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        r, dpr, ws = tile.rect, self.devicePixelRatioF(), self._widget_scale()
        x = round((rect.x() + r.x() * ws) * dpr) / dpr  # on whole device pixels
        y = round((rect.y() + r.y() * ws) * dpr) / dpr
        target = QRectF(x, y, r.width() * ws, r.height() * ws)
        p.drawImage(target, tile_image)

    def _label(
        self, p: QPainter, x: float, text: str, bottom: bool = False, right_aligned: bool = False
    ) -> None:
        """``text`` on a dark box from ``x`` (to ``x`` when ``right_aligned``)."""
        metrics = p.fontMetrics()
        w, h = metrics.horizontalAdvance(text) + 10, metrics.height() + 4
        x = x - w if right_aligned else x
        y = self.height() - h - 8 if bottom else 8
        p.fillRect(QRectF(x, y, w, h), QColor(0, 0, 0, 150))
        p.setPen(QColor(255, 255, 255))
        p.drawText(QRectF(x, y, w, h), Qt.AlignmentFlag.AlignCenter, text)

    # interaction -------------------------------------------------------------------------
    def _near_split(self, x: float) -> bool:
        return self.mode is ViewMode.SPLIT and abs(x - self.split * self.width()) <= GRAB_DISTANCE

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self.before is None:
            return
        pos = event.position()
        self._drag = Drag.SPLIT_LINE if self._near_split(pos.x()) else Drag.PICTURE
        self._last = pos

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self._drag is Drag.SPLIT_LINE:
            self.split = float(np.clip(pos.x() / max(self.width(), 1), 0.0, 1.0))
            self.update()
        elif self._drag is Drag.PICTURE and self.before is not None:
            s = self._widget_scale()
            delta = pos - self._last
            self.center -= QPointF(
                delta.x() / (self.photo_size.width() * s),
                delta.y() / (self.photo_size.height() * s),
            )
            self._last = pos
            self.region_changed.emit()
            self.update()
        else:
            shape = (
                Qt.CursorShape.SplitHCursor
                if self._near_split(pos.x())
                else Qt.CursorShape.OpenHandCursor
            )
            self.setCursor(shape)

    def mouseReleaseEvent(self, _event: QMouseEvent) -> None:
        self._drag = None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.fit:
            self.set_zoom(1.0, event.position())
        else:
            self.set_fit()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            now = self.current_scale()
            scale = now * (1.25**steps)
            if min(now, scale) < LOUPE_FROM < max(now, scale):
                scale = LOUPE_FROM  # passing 100 % stops there: one pixel per pixel
            self.set_zoom(scale, event.position())

    def hold_space(self, event: QKeyEvent) -> bool:
        """Show the original while Space is held; True when ``event`` was that key."""
        if event.key() != Qt.Key.Key_Space:
            return False
        if not event.isAutoRepeat():
            self.showing_original = event.type() == QEvent.Type.KeyPress
            self.update()
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.hold_space(event):
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if not self.hold_space(event):
            super().keyReleaseEvent(event)
