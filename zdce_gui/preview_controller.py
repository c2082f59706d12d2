"""The preview of the selected photo: estimating its curves, rendering it at the chosen
strength and denoising (drafts while the slider moves), and the histograms under it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSize, QTimer
from PySide6.QtWidgets import QWidget

from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.cancel import Cancelled
from zdce_core.enhancer import Enhancer
from zdce_core.histogram import Histogram, luminance_histogram
from zdce_core.pipeline import Enhanced
from zdce_core.preview import Preview, PreviewCache, UpsampledMaps, make_preview
from zdce_gui.dialogs import Asker
from zdce_gui.loupe_controller import LoupeController
from zdce_gui.main_layout import MainLayout, set_checked_silently
from zdce_gui.model_compare import ModelCompare
from zdce_gui.preview_render import OneAtATime, Quality, Rendered, cached_for, render_at
from zdce_gui.qimage import to_qimage
from zdce_gui.queue_model import QueueModel, RowState
from zdce_gui.session import Session
from zdce_gui.workers import Worker, WorkerPool

SLIDER_REST_MS = 150
"""While the slider moves, drafts are shown; the full preview once it rests this long."""


class PreviewController(QObject):
    """Owns the preview workers and what is on screen; the strength controls drive it, and
    the session's model and look (its signals) and the queue's rows."""

    def __init__(
        self, session: Session, ui: MainLayout, queue: QueueModel, asker: Asker, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.session, self.ui, self.queue, self.asker = session, ui, queue, asker
        self.previews = PreviewCache()
        self.preview_pool = WorkerPool()
        self.render_pool = WorkerPool()
        self.current: Preview | None = None
        self.preview_worker: Worker | None = None
        self.renders = OneAtATime()
        self.rendered: dict[Quality, Rendered] = {}  # on screen only
        self.full_render_timer = QTimer(self, singleShot=True, interval=SLIDER_REST_MS)
        self.full_render_timer.timeout.connect(self.request_render)
        ui = self.ui
        self.loupe = LoupeController(self)
        self.compare = ModelCompare(self)
        for level in Denoise:
            ui.denoise_combo.addItem(level.value.capitalize(), level)
        ui.view.zoom_changed.connect(self.show_zoom)
        ui.strength_slider.valueChanged.connect(lambda v: ui.strength_spin.setValue(v / 10))
        ui.strength_spin.valueChanged.connect(self.strength_changed)
        ui.auto_check.toggled.connect(self.auto_toggled)
        ui.own_strength_check.toggled.connect(self.own_strength_toggled)
        ui.denoise_combo.currentIndexChanged.connect(self.denoise_changed)
        session.model_changed.connect(self.model_changed)
        session.adjustments_changed.connect(lambda: self.request_render())
        queue.rowsRemoved.connect(lambda *_: self.queue_shrunk())
        queue.modelReset.connect(self.queue_shrunk)

    @property
    def enhancer(self) -> Enhancer | None:
        return self.session.enhancer

    def pools(self) -> list[WorkerPool]:
        return [self.preview_pool, self.render_pool, self.loupe.pool, self.compare.pool]

    def forget(self) -> None:
        """Drop every cached preview (another model or device: other curves)."""
        self.previews.clear()
        self.clear_screen()

    def model_changed(self) -> None:
        """Another model (or none): previews made with the one before are made again."""
        self.forget()
        session = self.session
        if session.enhancer is None:
            self.ui.view.set_message(session.model_error)
        else:
            self.select_row(self.selected_row())

    def queue_shrunk(self) -> None:
        """Rows were removed or the queue cleared: none left, no photo on screen."""
        if not self.queue.items:
            self.clear_screen()

    def clear_screen(self) -> None:
        """Show no photo: the placeholder text, no histograms, no zoom."""
        self.current = None
        self.loupe.drop()
        self.rendered.clear()
        self.ui.view.clear()
        self.ui.histogram.set_histograms(None, None)

    # the selected photo --------------------------------------------------------------------
    def select_row(self, row: int) -> None:
        """Show the preview of the queue row (estimating its maps in a worker if needed)."""
        if self.preview_worker is not None:
            self.preview_worker.cancel()  # a newer selection wins
            self.preview_worker = None
        items = self.queue.items
        if row < 0 or row >= len(items):
            return
        item = items[row]
        ui = self.ui
        set_checked_silently(ui.own_strength_check, item.strength is not None)
        own = item.strength
        batch = self.session.settings.strength
        self.set_strength_silently(own if own is not None else batch)
        self.show_denoise(item.denoise)
        if own is None and batch is None and item.chosen is not None:
            self.show_strength_value(item.chosen[0])
        enhancer = self.enhancer
        if enhancer is None:
            return
        if not item.processable:
            self.clear_screen()
            ui.view.set_message(f"{item.path.name}: {item.reason}")
            return
        cached = self.previews.get(item.path)
        if cached is not None:
            self.show_preview(cached)
            return
        ui.view.set_message(f"Estimating curves for {item.path.name}…")
        path = item.path

        def work(_report, cancelled):
            try:
                return make_preview(enhancer, path, cancel=cancelled)
            except Cancelled:
                return None

        self.preview_worker = self.preview_pool.start(
            work, result=self.preview_ready, error=lambda msg, p=path: self.preview_failed(p, msg)
        )

    def selected_row(self) -> int:
        return self.ui.table.currentIndex().row()

    def preview_ready(self, preview: Preview | None) -> None:
        if preview is None:
            return
        self.previews.put(preview)
        row = self.selected_row()
        if 0 <= row < len(self.queue.items) and self.queue.items[row].path == preview.path:
            self.show_preview(preview)

    def preview_failed(self, path: Path, message: str) -> None:
        queue = self.queue
        row = queue.row_of(path)
        if row >= 0 and queue.items[row].status is RowState.QUEUED:
            queue.update(row, status=RowState.FAILED, reason=message)
        self.clear_screen()
        self.ui.view.set_message(f"{path.name}: {message}")

    def show_preview(self, preview: Preview) -> None:
        """Show ``preview``; another photo than the one on screen opens fitted."""
        another = self.current is None or self.current.path != preview.path
        if another:
            self.loupe.drop()  # the full-size decode is kept for the photo shown only
        self.current = preview
        h, w = preview.full_size
        self.ui.view.set_message(
            f"{preview.path.name} — {w}×{h}, {preview.photo_megapixels:.1f} MP"
        )
        self.ui.view.set_images(
            to_qimage(preview.pixels), None, refit=another, photo_size=QSize(w, h)
        )
        self.ui.histogram.set_histograms(luminance_histogram(preview.pixels), None)
        self.request_render()

    def show_zoom(self, scale: float) -> None:
        """The view's zoom in percent of the full-size photo (100 %: a screen pixel per
        photo pixel)."""
        if self.current is None:
            self.ui.zoom_label.clear()
            return
        self.ui.zoom_label.setText(f"{100 * scale:.0f}%")

    # strength and denoising ------------------------------------------------------------------
    def strength(self) -> float | None:
        """The strength the controls show: ``None`` for auto exposure."""
        ui = self.ui
        return None if ui.auto_check.isChecked() else round(ui.strength_spin.value(), 1)

    def set_strength_silently(self, value: float | None) -> None:
        """Show ``value`` (``None``: auto) without treating it as the user's choice."""
        set_checked_silently(self.ui.auto_check, value is None)
        if value is not None:
            self.show_strength_value(value)

    def show_strength_value(self, value: float) -> None:
        ui = self.ui
        for widget in (ui.strength_spin, ui.strength_slider):
            widget.blockSignals(True)
        ui.strength_spin.setValue(value)
        ui.strength_slider.setValue(round(value * 10))
        for widget in (ui.strength_spin, ui.strength_slider):
            widget.blockSignals(False)

    def strength_changed(self, value: float) -> None:
        """The user moved the slider or typed a strength: a manual strength from now on.
        Drafts follow the slider; the full preview comes when it rests."""
        ui = self.ui
        ui.strength_slider.blockSignals(True)
        ui.strength_slider.setValue(round(value * 10))
        ui.strength_slider.blockSignals(False)
        set_checked_silently(ui.auto_check, False)
        self.store_strength(Quality.DRAFT)
        self.full_render_timer.start()

    def auto_toggled(self, on: bool) -> None:
        """Auto on: the batch (and the selected image, if it had its own) goes back to auto."""
        row = self.selected_row()
        if on and self.ui.own_strength_check.isChecked():
            set_checked_silently(self.ui.own_strength_check, False)
            if 0 <= row < len(self.queue.items):
                self.queue.update(row, strength=None, chosen=None)
        self.store_strength()

    def store_strength(self, quality: Quality = Quality.FULL) -> None:
        """Keep the controls' strength for the selected image or the batch, and re-render."""
        row = self.selected_row()
        strength = self.strength()
        queue = self.queue
        if self.ui.own_strength_check.isChecked() and 0 <= row < len(queue.items):
            queue.update(row, strength=strength)
        else:
            self.session.settings.strength = strength
            queue.batch_strength = strength
            for r, item in enumerate(queue.items):  # shown as the batch strength until rendered
                if item.strength is None:
                    queue.update(r, chosen=None)
        self.request_render(quality)

    def own_strength_toggled(self, on: bool) -> None:
        row = self.selected_row()
        queue = self.queue
        if not 0 <= row < len(queue.items):
            return
        if on:
            self.set_strength_silently(round(self.ui.strength_spin.value(), 1))
            queue.update(row, strength=self.strength())
        else:
            queue.update(row, strength=None, denoise=None, chosen=None)
            self.set_strength_silently(self.session.settings.strength)
            self.show_denoise(None)
            self.request_render()

    def denoise(self) -> Denoise:
        return self.ui.denoise_combo.currentData()

    def denoise_changed(self, _index: int) -> None:
        """The photo's own denoise when it has one or "Only this image" is ticked, else the
        batch's."""
        row, items = self.selected_row(), self.queue.items
        own = 0 <= row < len(items) and (
            items[row].denoise is not None or self.ui.own_strength_check.isChecked()
        )
        if own:
            self.queue.update(row, denoise=self.denoise())
        else:
            self.session.settings.denoise = self.denoise()
        self.request_render()

    def show_denoise(self, own: Denoise | None) -> None:
        """Show a photo's own denoise (``None``: the batch's) without choosing it."""
        combo = self.ui.denoise_combo
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(own or self.session.settings.denoise))
        combo.blockSignals(False)

    def adjustments(self, strength: float | None) -> Adjustments:
        """``strength`` with the denoise, target brightness and highlight protection shown."""
        return self.session.look(strength, self.denoise())

    # rendering -------------------------------------------------------------------------------
    def request_render(self, quality: Quality = Quality.FULL) -> None:
        """Render the current preview (or its draft) at the slider's strength; coalesces fast
        slider moves (a pending full render wins over a pending draft)."""
        enhancer, preview = self.enhancer, self.current
        if preview is None or enhancer is None:
            return
        self.loupe.refresh()  # the region on screen at these adjustments, from 100 %
        self.compare.refresh(quality)  # the model compared with, at the same adjustments
        if not self.renders.start(quality):
            return
        adjustments = self.adjustments(self.strength())
        cached = cached_for(self.rendered, quality, preview)

        def work(_report, _cancelled):
            shown, maps, enhanced = render_at(enhancer, preview, quality, adjustments, cached)
            return quality, shown, maps, enhanced, luminance_histogram(enhanced.pixels)

        self.render_pool.start(
            work,
            result=self.render_ready,
            error=lambda msg, path=preview.path: self.render_failed(path, msg),
            finished=self.render_finished,
        )

    def render_ready(
        self, result: tuple[Quality, Preview, UpsampledMaps, Enhanced, Histogram]
    ) -> None:
        quality, shown, maps, enhanced, histogram = result
        if self.current is None or self.current.path != shown.path:
            return
        if quality not in self.rendered or self.rendered[quality][0].path != shown.path:
            self.rendered[quality] = (shown, maps)
        self.ui.view.set_after(to_qimage(enhanced.pixels))
        self.ui.histogram.set_histograms(self.ui.histogram.before, histogram)
        queue = self.queue
        row = queue.row_of(shown.path)
        if enhanced.auto and row >= 0:
            queue.update(row, chosen=(enhanced.strength, True))
            if self.ui.auto_check.isChecked():
                self.show_strength_value(enhanced.strength)

    def render_failed(self, path: Path, message: str) -> None:
        """Show the original alone with the reason, never a result the batch would refuse."""
        if self.current is not None and self.current.path == path:
            h, w = self.current.full_size
            self.ui.view.set_images(to_qimage(self.current.pixels), None, photo_size=QSize(w, h))
            self.ui.histogram.set_histograms(self.ui.histogram.before, None)
            self.ui.view.set_message(f"{path.name}: {message}")

    def render_finished(self) -> None:
        waiting = self.renders.end()
        if waiting is not None:
            self.request_render(waiting)
