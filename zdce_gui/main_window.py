"""The main window: the layout, four controllers (queue, preview, batch, models), the typed
settings, and what ties them together (which actions are enabled, closing)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeyEvent
from PySide6.QtWidgets import QMainWindow

from zdce_core import __version__
from zdce_gui.batch_controller import BatchController
from zdce_gui.dialogs import Asker, ShortcutsDialog
from zdce_gui.main_layout import QUEUE_COLUMN_WIDTHS, MainLayout
from zdce_gui.model_controller import ModelController
from zdce_gui.output_box import connect_output_box, folder_rule, remembered_output, show_output
from zdce_gui.preset_controller import PresetController
from zdce_gui.preview_controller import PreviewController
from zdce_gui.queue_controller import QueueController
from zdce_gui.queue_model import QueueModel
from zdce_gui.screen_fit import size_within_screen
from zdce_gui.session import Session
from zdce_gui.settings import AppSettings, load_settings, save_settings
from zdce_gui.watch_controller import WatchController


class MainWindow(QMainWindow):
    """Widgets display state and send requests; the work runs in worker threads."""

    def __init__(self, store: QSettings | None = None, asker: Asker | None = None) -> None:
        super().__init__()
        self.store = store or QSettings("zdce", "zdce")
        self.settings: AppSettings = load_settings(self.store)
        self.asker = asker or Asker(self)
        self.session = Session(self.settings, self)
        self.setWindowTitle("Zero-DCE — rescue dark photos")
        self.setAcceptDrops(True)
        self.queue = QueueModel()
        self.ui = MainLayout(self)
        self.ui.table.setModel(self.queue)
        header = self.ui.table.horizontalHeader()
        for column, width in enumerate(QUEUE_COLUMN_WIDTHS):
            header.resizeSection(column, width)
        self.queue_ctl = QueueController(self.session, self.ui, self.queue, self.asker, self)
        self.preview = PreviewController(self.session, self.ui, self.queue, self.asker, self)
        self.batch = BatchController(self.session, self.ui, self.queue, self.asker, self)
        self.models = ModelController(self.session, self.ui, self.queue, self.asker, self)
        self.presets = PresetController(self.session, self.ui, self.queue, self.asker, self)
        self._connect()
        self._connect_watch()
        self._show_settings()
        self.models.refresh(select=self.settings.model)
        self.preview.compare.relist()  # the models listed: offer them to compare with
        self.update_actions()

    def _connect(self) -> None:
        ui, q, pv, b, m = self.ui, self.queue_ctl, self.preview, self.batch, self.models
        ui.table.installEventFilter(self)  # hold Space in the queue to see the original
        ui.table.selectionModel().currentRowChanged.connect(
            lambda cur, _p: pv.select_row(cur.row())
        )
        for widget, slot in (
            (ui.add_files_button, q.ask_add_files),
            (ui.add_folder_button, q.ask_add_folder),
            (ui.remove_button, q.remove_selected),
            (ui.clear_button, q.clear),
            (ui.browse_button, self.ask_output_folder),
            (ui.import_button, m.ask_import),
            (ui.fit_button, ui.view.set_fit),
            (ui.actual_button, lambda: ui.view.set_zoom(1.0)),
            (ui.start_button, b.start),
            (ui.cancel_button, b.cancel),
            (ui.open_output_button, b.open_output_folder),
        ):
            widget.clicked.connect(lambda _checked=False, slot=slot: slot())
        for action, slot in (
            (ui.add_files_action, q.ask_add_files),
            (ui.add_folder_action, q.ask_add_folder),
            (ui.remove_action, q.remove_selected),
            (ui.start_action, b.start),
            (ui.cancel_action, b.cancel),
            (ui.open_output_action, b.open_output_folder),
            (ui.quit_action, self.close),
            (ui.fit_action, ui.view.set_fit),
            (ui.actual_action, lambda: ui.view.set_zoom(1.0)),
            (ui.train_action, m.open_training),
            (ui.manage_action, m.open_manager),
            (ui.import_action, m.ask_import),
            (ui.models_folder_action, m.open_models_folder),
            (ui.previous_action, lambda: q.go_by(-1)),
            (ui.next_action, lambda: q.go_by(1)),
            (ui.first_action, lambda: q.go_to(0)),
            (ui.last_action, lambda: q.go_to(len(self.queue.items) - 1)),
            (ui.shortcuts_action, self.show_shortcuts),
            (ui.about_action, self.show_about),
        ):
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
        ui.skip_action.triggered.connect(q.set_skipped)
        ui.sync_action.triggered.connect(lambda _checked=False: q.sync_settings())
        ui.table.selectionModel().selectionChanged.connect(lambda *_: q.show_sync_state())
        ui.mode_combo.currentIndexChanged.connect(self._mode_changed)
        m.model_moved.connect(pv.compare.moved)
        m.models_changed.connect(pv.compare.relist)
        self.session.model_changed.connect(self.update_actions)
        self.session.batch_running_changed.connect(lambda _running: self.update_actions())
        for rows_changed in (self.queue.rowsInserted, self.queue.rowsRemoved):
            rows_changed.connect(lambda *_: self.update_actions())
        self.queue.modelReset.connect(self.update_actions)
        connect_output_box(ui)

    def _connect_watch(self) -> None:
        """File → Watch Folder… and Stop Watching, the indicator (a click stops), and the
        watch the user asked to resume, started once the event loop runs."""
        self.watch = WatchController(self.session, self.ui, self.queue, self.asker, self)
        self.watch.photos_arrived.connect(self.queue_ctl.queue_items)
        self.ui.watch_action.triggered.connect(lambda _checked=False: self.watch.ask())
        self.ui.stop_watch_action.triggered.connect(lambda _checked=False: self.watch.stop())
        self.ui.watch_button.clicked.connect(lambda _checked=False: self.watch.stop())
        QTimer.singleShot(0, self.watch, self.watch.resume)

    def _mode_changed(self, _index: int) -> None:
        self.settings.view_mode = self.ui.mode_combo.currentData()
        self.ui.view.set_mode(self.settings.view_mode)

    def _show_settings(self) -> None:
        """Put the remembered settings into the widgets (before any of them reacts)."""
        s, ui = self.settings, self.ui
        if s.geometry is not None:
            self.restoreGeometry(s.geometry)
        elif size_within_screen(self, 1400, 850):  # a small screen: use all of it
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        show_output(ui, s.output, s.folder_rule, s.output_folder)
        ui.recursive_check.setChecked(s.recursive)
        self.preview.set_strength_silently(s.strength)
        if s.strength is None:
            self.preview.show_strength_value(8.0)
        self.queue.batch_strength = s.strength
        ui.denoise_combo.blockSignals(True)
        ui.denoise_combo.setCurrentIndex(max(0, ui.denoise_combo.findData(s.denoise)))
        ui.denoise_combo.blockSignals(False)
        ui.mode_combo.setCurrentIndex(max(0, ui.mode_combo.findData(s.view_mode)))
        self.models.choose_device(s.device)

    def _collect_settings(self) -> AppSettings:
        s, ui = self.settings, self.ui
        s.output_folder = ui.folder_edit.text()
        s.folder_rule = folder_rule(ui)
        s.output = remembered_output(ui, s.output)
        s.recursive = ui.recursive_check.isChecked()
        s.geometry = self.saveGeometry()
        return s

    def save(self) -> None:
        save_settings(self.store, self._collect_settings())

    def ask_output_folder(self) -> None:
        chosen = self.ui.folder_edit.text().strip()
        folder = self.asker.folder("Output folder", Path(chosen) if chosen else Path.home())
        if folder is not None:
            self.ui.folder_edit.setText(str(folder))

    def update_actions(self) -> None:
        ui = self.ui
        running = self.batch.running
        can_start = not running and self.models.enhancer is not None and bool(self.queue.items)
        ui.start_button.setEnabled(can_start)
        ui.start_action.setEnabled(can_start)
        ui.cancel_button.setEnabled(running)
        ui.cancel_action.setEnabled(running)
        has_output = self.batch.last_output is not None
        ui.open_output_button.setEnabled(has_output)
        ui.open_output_action.setEnabled(has_output)
        for widget in (
            ui.remove_button,
            ui.clear_button,
            ui.model_combo,
            ui.device_combo,
            ui.import_button,
        ):
            widget.setEnabled(not running)
        for action in (ui.remove_action, ui.skip_action, ui.import_action):
            action.setEnabled(not running)
        self.queue_ctl.show_sync_state()
        if self.models.enhancer is None:
            ui.start_button.setToolTip(self.models.error)
        else:
            ui.start_button.setToolTip("Convert every queued image (Ctrl+Return)")

    # events ----------------------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.ui.table and isinstance(event, QKeyEvent):
            return self.ui.view.hold_space(event)
        return super().eventFilter(watched, event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.queue_ctl.add_paths([Path(p) for p in paths])
            event.acceptProposedAction()

    def shutdown(self) -> None:
        """Stop every worker and wait for it (cancelled work leaves no partial files); no
        worker starts after this (a render finishing meanwhile asks for none)."""
        pools = [
            *self.queue_ctl.pools(),
            self.batch.pool,
            *self.preview.pools(),
            *self.models.pools(),
            self.presets.pool,
            *self.watch.pools(),
        ]
        for pool in pools:
            pool.shutdown()

    def confirm_quit(self) -> bool:
        """Ask before stopping a running batch or training; True (the batch cancelled, the
        training stopped) when the user agrees or nothing runs."""
        if self.batch.running and not self.asker.confirm(
            "Stop the batch?",
            f"A batch is running ({self.batch.finished_items} of {self.batch.total_items} "
            "done). Stop it and quit?",
        ):
            return False
        dialog = self.models.training_dialog
        if dialog is not None and not dialog.confirm_stop():
            return False
        self.batch.cancel()
        return True

    def closeEvent(self, event) -> None:
        if not self.confirm_quit():
            event.ignore()
            return
        self.save()
        self.shutdown()
        super().closeEvent(event)

    def show_shortcuts(self) -> ShortcutsDialog:
        dialog = ShortcutsDialog(self)
        dialog.show()
        return dialog

    def show_about(self) -> None:
        model = self.ui.model_combo.currentText() or "none"
        enhancer = self.models.enhancer
        device = str(enhancer.device) if enhancer else "—"
        self.asker.inform(
            "About zdce",
            f"<b>zdce {__version__}</b><br>Rescue dark photos with Zero-DCE light-enhancement "
            f"curves (Guo et al., CVPR 2020).<br><br>Model: {model}<br>Device: {device}<br>"
            f"Threads: {os.cpu_count()} cores",
        )
