"""The main window: queue, before/after preview with strength, output settings, batch run."""

from __future__ import annotations

import os
from enum import IntEnum
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from zdce_core import __version__
from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments, Denoise
from zdce_core.batch import BatchSummary, ItemFinished, ItemStarted, ItemStatus
from zdce_core.batch_job import BatchJob, plan_job, run_job
from zdce_core.device import describe_devices
from zdce_core.discovery import FoundFile, discover
from zdce_core.enhancer import Cancelled, Enhancer
from zdce_core.image_io import READ_EXTENSIONS
from zdce_core.model_store import list_models, user_models_dir
from zdce_core.outputs import OutputOptions, PlanError, sibling_output_folder
from zdce_core.pipeline import Enhanced, adjusted_maps
from zdce_core.preview import (
    Preview,
    PreviewCache,
    UpsampledMaps,
    draft_of,
    make_preview,
    render_preview,
)
from zdce_core.textbar import format_duration
from zdce_core.weights import WeightsError, load_model
from zdce_gui.compare_view import SIDE_BY_SIDE, SPLIT, CompareView, to_qimage
from zdce_gui.model_manager import ModelManager
from zdce_gui.queue_model import (
    FAILED,
    QUEUED,
    SKIPPED,
    WORKING,
    QueueItem,
    QueueModel,
    ignored_item,
    item_for,
)
from zdce_gui.training_dialog import TrainingDialog
from zdce_gui.workers import Worker, WorkerPool

SLIDER_STEPS = 80  # 0.1 strength per step
SLIDER_REST_MS = 150
"""While the slider moves, drafts are shown; the full preview once it rests this long."""


class Quality(IntEnum):
    """How a preview is rendered: a draft (a quarter of the pixels) or the full preview."""

    DRAFT = 1
    FULL = 2


FORMATS = [
    ("Same as input", "same"),
    ("JPEG", "jpeg"),
    ("PNG", "png"),
    ("TIFF", "tiff"),
    ("WebP", "webp"),
]
SHORTCUTS = """<table>
<tr><td>Ctrl+O</td><td>Add files</td></tr>
<tr><td>Ctrl+Shift+O</td><td>Add folder</td></tr>
<tr><td>Ctrl+Return</td><td>Start converting</td></tr>
<tr><td>Esc</td><td>Cancel the conversion</td></tr>
<tr><td>Delete</td><td>Remove selected images from the queue</td></tr>
<tr><td>Space (hold)</td><td>Show the original in the preview</td></tr>
<tr><td>Mouse wheel / double-click</td><td>Zoom / toggle fit and 100%</td></tr>
<tr><td>Ctrl+0 / Ctrl+1</td><td>Fit / 100%</td></tr>
</table>"""


def set_checked_silently(box: QCheckBox, on: bool) -> None:
    """Show ``on`` in ``box`` without emitting ``toggled`` (a display update, not a choice)."""
    box.blockSignals(True)
    box.setChecked(on)
    box.blockSignals(False)


class MainWindow(QMainWindow):
    """Widgets display state and send requests; the work runs in ``WorkerPool`` threads."""

    def __init__(self, settings: QSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or QSettings("zdce", "zdce")
        self.setWindowTitle("Zero-DCE — rescue dark photos")
        self.setAcceptDrops(True)
        self.queue = QueueModel()
        self.previews = PreviewCache()
        self.preview_pool = WorkerPool()
        self.render_pool = WorkerPool()
        self.batch_pool = WorkerPool()
        self.enhancer: Enhancer | None = None
        self.model_error = ""
        self.current: Preview | None = None
        self.preview_worker: Worker | None = None
        self.render_busy = False
        self.render_pending: Quality | None = None  # asked for while a render was running
        self.rendered: dict[Quality, tuple[Preview, UpsampledMaps]] = {}  # on screen only
        self.full_render_timer = QTimer(self, singleShot=True, interval=SLIDER_REST_MS)
        self.full_render_timer.timeout.connect(self.request_render)
        self.batch_worker: Worker | None = None
        self.discovery_pool = WorkerPool()
        self.discovering = 0
        self.last_added = 0
        self.training_dialog: TrainingDialog | None = None
        self.batch_started = 0.0
        self.last_output: Path | None = None
        self.last_summary: BatchSummary | None = None
        self._build_ui()
        self._build_menus()
        self.refresh_models()
        self.load_settings()
        self.update_actions()

    # construction --------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.table = QTableView()
        self.table.setModel(self.queue)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((140, 110, 80, 70)):  # Strength fits "auto 5.3"
            header.resizeSection(col, width)
        self.table.installEventFilter(self)  # hold Space in the queue to see the original
        self.table.selectionModel().currentRowChanged.connect(
            lambda cur, _p: self.select_row(cur.row())
        )
        self.add_files_button = QPushButton("Add Files…")
        self.add_folder_button = QPushButton("Add Folder…")
        self.remove_button = QPushButton("Remove")
        self.clear_button = QPushButton("Clear")
        self.recursive_check = QCheckBox("Include subfolders")
        self.recursive_check.setChecked(True)
        self.add_files_button.clicked.connect(self.add_files_dialog)
        self.add_folder_button.clicked.connect(self.add_folder_dialog)
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button.clicked.connect(self.clear_queue)
        queue_buttons = QHBoxLayout()
        for w in (
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.clear_button,
        ):
            queue_buttons.addWidget(w)
        queue_panel = QWidget()
        ql = QVBoxLayout(queue_panel)
        ql.addLayout(queue_buttons)
        ql.addWidget(self.recursive_check)
        ql.addWidget(self.table)
        ql.addWidget(self._output_box())

        self.view = CompareView()
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Split view", SPLIT)
        self.mode_combo.addItem("Side by side", SIDE_BY_SIDE)
        self.mode_combo.currentIndexChanged.connect(
            lambda _i: self.view.set_mode(self.mode_combo.currentData())
        )
        fit_button, actual_button = QPushButton("Fit"), QPushButton("100%")
        fit_button.clicked.connect(self.view.set_fit)
        actual_button.clicked.connect(lambda: self.view.set_zoom(1.0))
        self.zoom_label = QLabel()
        self.zoom_label.setToolTip("Zoom, relative to the photo's full size")
        self.view.zoom_changed.connect(self.show_zoom)
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, SLIDER_STEPS)
        self.strength_slider.setValue(SLIDER_STEPS)
        self.strength_spin = QDoubleSpinBox()
        self.strength_spin.setRange(0.0, 8.0)
        self.strength_spin.setSingleStep(0.1)
        self.strength_spin.setDecimals(1)
        self.strength_spin.setValue(8.0)
        self.strength_slider.valueChanged.connect(lambda v: self.strength_spin.setValue(v / 10))
        self.strength_spin.valueChanged.connect(self.strength_changed)
        self.strength_slider.setMinimumWidth(240)
        self.auto_check = QCheckBox("Auto")
        self.auto_check.setToolTip(
            "Auto exposure: each photo gets the strength it needs; move the slider to choose one"
        )
        self.auto_check.toggled.connect(self.auto_toggled)
        self.denoise_combo = QComboBox()
        for level in Denoise:
            self.denoise_combo.addItem(level.value.capitalize(), level.value)
        self.denoise_combo.setToolTip("Smooth the noise of lifted shadows")
        self.denoise_combo.currentIndexChanged.connect(self.denoise_changed)
        self.own_strength_check = QCheckBox("Only this image")
        self.own_strength_check.setToolTip(
            "Keep this strength for the selected image; the others use the batch strength"
        )
        self.own_strength_check.toggled.connect(self.own_strength_toggled)
        controls = QHBoxLayout()
        controls.addWidget(self.mode_combo)
        controls.addWidget(fit_button)
        controls.addWidget(actual_button)
        controls.addWidget(self.zoom_label)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Strength"))
        controls.addWidget(self.auto_check)
        controls.addWidget(self.strength_slider, 1)
        controls.addWidget(self.strength_spin)
        controls.addWidget(self.own_strength_check)
        controls.addSpacing(8)
        controls.addWidget(QLabel("Denoise"))
        controls.addWidget(self.denoise_combo)
        preview_panel = QWidget()
        pl = QVBoxLayout(preview_panel)
        pl.addWidget(self.view, 1)
        pl.addLayout(controls)

        self.splitter = QSplitter()
        self.splitter.addWidget(queue_panel)
        self.splitter.addWidget(preview_panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([560, 840])

        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.status_label = QLabel("Add photos to start.")
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.open_output_button = QPushButton("Open Output Folder")
        self.start_button.clicked.connect(self.start_batch)
        self.cancel_button.clicked.connect(self.cancel_batch)
        self.open_output_button.clicked.connect(self.open_output_folder)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.status_label, 2)
        for w in (self.start_button, self.cancel_button, self.open_output_button):
            bottom.addWidget(w)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.addWidget(self.splitter, 1)
        cl.addLayout(bottom)
        self.setCentralWidget(central)

    def _output_box(self) -> QGroupBox:
        box = QGroupBox("Output and model")
        form = QFormLayout(box)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("beside each input: <folder>-enhanced")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self.choose_output_folder)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        form.addRow("Folder", row)
        self.suffix_edit = QLineEdit("_enhanced")
        form.addRow("Name suffix", self.suffix_edit)
        self.format_combo = QComboBox()
        for label, key in FORMATS:
            self.format_combo.addItem(label, key)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setValue(95)
        fmt_row = QHBoxLayout()
        fmt_row.addWidget(self.format_combo, 1)
        fmt_row.addWidget(QLabel("Quality"))
        fmt_row.addWidget(self.quality_spin)
        form.addRow("Format", fmt_row)
        self.metadata_check = QCheckBox("Keep metadata (EXIF, colour profile)")
        self.metadata_check.setChecked(True)
        self.overwrite_check = QCheckBox("Overwrite existing outputs")
        self.mirror_check = QCheckBox("Mirror subfolders")
        self.mirror_check.setChecked(True)
        for check in (self.metadata_check, self.overwrite_check, self.mirror_check):
            form.addRow("", check)
        self.model_combo = QComboBox()
        self.model_combo.currentIndexChanged.connect(lambda _i: self.reload_enhancer())
        import_button = QPushButton("Import…")
        import_button.clicked.connect(self.import_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model_combo, 1)
        model_row.addWidget(import_button)
        form.addRow("Model", model_row)
        self.device_combo = QComboBox()
        self.device_combo.addItem("Auto", "auto")
        for spec, name in describe_devices():
            self.device_combo.addItem(name, spec)
        self.device_combo.currentIndexChanged.connect(lambda _i: self.reload_enhancer())
        form.addRow("Device", self.device_combo)
        return box

    def _build_menus(self) -> None:
        def action(menu, text: str, slot, shortcut: str | QKeySequence | None = None) -> QAction:
            act = QAction(text, self)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            act.triggered.connect(slot)
            menu.addAction(act)
            return act

        file_menu = self.menuBar().addMenu("&File")
        action(file_menu, "Add &Files…", self.add_files_dialog, QKeySequence.StandardKey.Open)
        action(file_menu, "Add F&older…", self.add_folder_dialog, "Ctrl+Shift+O")
        action(file_menu, "&Remove Selected", self.remove_selected, QKeySequence.StandardKey.Delete)
        file_menu.addSeparator()
        self.start_action = action(file_menu, "&Start", self.start_batch, "Ctrl+Return")
        self.cancel_action = action(file_menu, "&Cancel", self.cancel_batch, "Esc")
        action(file_menu, "Open &Output Folder", self.open_output_folder)
        file_menu.addSeparator()
        action(file_menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        view_menu = self.menuBar().addMenu("&View")
        action(view_menu, "&Fit", self.view.set_fit, "Ctrl+0")
        action(view_menu, "&100%", lambda: self.view.set_zoom(1.0), "Ctrl+1")
        model_menu = self.menuBar().addMenu("&Model")
        action(model_menu, "&Train…", self.open_training)
        action(model_menu, "&Manage…", self.open_model_manager)
        action(model_menu, "&Import Model…", self.import_model)
        action(model_menu, "Open &Models Folder", self.open_models_folder)
        help_menu = self.menuBar().addMenu("&Help")
        action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts)
        action(help_menu, "&About", self.show_about)

    # models and devices ----------------------------------------------------------------------
    def refresh_models(self, select: Path | None = None) -> None:
        current = select or self.model_combo.currentData()
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for entry in list_models():
            label = entry.name if entry.source == "bundled" else f"{entry.name} (yours)"
            self.model_combo.addItem(label, str(entry.path))
        current = None if current is None else str(current)
        if current is not None and not Path(current).is_file():
            current = None  # renamed or deleted meanwhile
        if current is not None and self.model_combo.findData(current) < 0:
            self.model_combo.addItem(Path(current).name, current)
        index = self.model_combo.findData(current) if current is not None else 0
        self.model_combo.setCurrentIndex(max(index, 0))
        self.model_combo.blockSignals(False)
        self.reload_enhancer()

    def reload_enhancer(self) -> None:
        """Load the chosen model on the chosen device (milliseconds: it is tiny)."""
        path = self.model_combo.currentData()
        self.enhancer, self.model_error = None, ""
        if path is None:
            self.model_error = "No model installed: import one with Model → Import Model…"
        else:
            try:
                self.enhancer = Enhancer(
                    load_model(path), self.device_combo.currentData() or "auto"
                )
            except (WeightsError, ValueError) as exc:
                self.model_error = str(exc)
        self.previews.clear()
        self.current = None
        self.rendered.clear()
        if self.model_error:
            self.view.set_images(None, None)
            self.view.set_message(self.model_error)
        else:
            self.select_row(self.table.currentIndex().row())
        self.update_actions()

    def import_model(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self,
            "Import a model",
            self.settings.value("dirs/model", str(Path.home())),
            "Models (*.safetensors *.pth *.pt)",
        )
        if name:
            self.import_model_file(Path(name))

    def import_model_file(self, path: Path) -> bool:
        """Check ``path`` loads, copy it into the user model folder, select it."""
        try:
            load_model(path)
        except WeightsError as exc:
            QMessageBox.warning(self, "Cannot import model", str(exc))
            return False
        target = user_models_dir() / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.resolve() != path.resolve():
            target.write_bytes(path.read_bytes())
        self.settings.setValue("dirs/model", str(path.parent))
        self.refresh_models(select=target)
        return True

    def open_training(self) -> TrainingDialog:
        """Show the training dialog (one per window; it keeps running when hidden)."""
        if self.training_dialog is None:
            paths = [item.path for item in self.queue.items if item.processable]
            self.training_dialog = TrainingDialog(self, queue_paths=paths)
            self.training_dialog.quiet = self.quiet
            self.training_dialog.model_saved.connect(lambda p: self.refresh_models(select=Path(p)))
        else:
            self.training_dialog.queue_paths = [i.path for i in self.queue.items if i.processable]
            self.training_dialog.use_queue_button.setEnabled(bool(self.training_dialog.queue_paths))
        self.training_dialog.show()
        self.training_dialog.raise_()
        return self.training_dialog

    def open_model_manager(self) -> ModelManager:
        manager = ModelManager(self)
        manager.models_changed.connect(self.refresh_models)
        manager.show()
        return manager

    def open_models_folder(self) -> None:
        user_models_dir().mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(user_models_dir())))

    # queue -----------------------------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> Worker:
        """Queue files and folders (folders recursively when the box is ticked).

        Folders are searched in a worker thread (a large or network folder must not freeze
        the window); the rows appear when the search is done, in the order asked.
        """
        recursive = self.recursive_check.isChecked()

        def work(_report, _cancelled) -> list[QueueItem]:
            found, ignored = discover(paths, recursive=recursive)
            return [item_for(f) for f in found] + [ignored_item(i) for i in ignored]

        self.discovering += 1
        self.status_label.setText("Looking for photos…")
        return self.discovery_pool.start(
            work,
            result=self.queue_items,
            error=self.discovery_failed,
            finished=self._discovery_done,
        )

    def queue_items(self, items: list[QueueItem]) -> None:
        self.last_added = self.queue.add(items)
        if self.last_added and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self.status_label.setText(f"{len(self.queue.items)} in the queue")
        self.update_actions()

    def discovery_failed(self, message: str) -> None:
        self.status_label.setText(f"Could not add: {message}")

    def _discovery_done(self) -> None:
        self.discovering -= 1

    def add_files_dialog(self) -> None:
        patterns = " ".join(f"*{e}" for e in sorted(READ_EXTENSIONS))
        names, _ = QFileDialog.getOpenFileNames(
            self,
            "Add photos",
            self.settings.value("dirs/input", str(Path.home())),
            f"Images ({patterns} {patterns.upper()});;All files (*)",
        )
        if names:
            self.settings.setValue("dirs/input", str(Path(names[0]).parent))
            self.add_paths([Path(n) for n in names])

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Add a folder of photos", self.settings.value("dirs/input", str(Path.home()))
        )
        if folder:
            self.settings.setValue("dirs/input", folder)
            self.add_paths([Path(folder)])

    def remove_selected(self) -> None:
        if self.batch_worker is not None:
            return
        rows = [i.row() for i in self.table.selectionModel().selectedRows()]
        self.queue.remove_rows(rows)
        self.update_actions()

    def clear_queue(self) -> None:
        if self.batch_worker is None:
            self.queue.clear()
            self.current = None
            self.rendered.clear()
            self.view.set_images(None, None)
            self.update_actions()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table and event.type() in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            return self.view.hold_space(event)
        return super().eventFilter(watched, event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_paths(paths)
            event.acceptProposedAction()

    # preview ---------------------------------------------------------------------------------
    def select_row(self, row: int) -> None:
        """Show the preview of the queue row (estimating its maps in a worker if needed)."""
        if self.preview_worker is not None:
            self.preview_worker.cancel()  # a newer selection wins
            self.preview_worker = None
        if row < 0 or row >= len(self.queue.items):
            return
        item = self.queue.items[row]
        set_checked_silently(self.own_strength_check, item.strength is not None)
        own = item.strength
        self.set_strength_silently(own if own is not None else self.batch_strength())
        if own is None and self.batch_strength() is None and item.chosen is not None:
            self.show_strength_value(item.chosen[0])
        if self.enhancer is None:
            return
        if item.status == SKIPPED and not item.processable:
            self.view.set_images(None, None)
            self.view.set_message(f"{item.path.name}: {item.reason}")
            return
        cached = self.previews.get(item.path)
        if cached is not None:
            self.show_preview(cached)
            return
        self.view.set_message(f"Estimating curves for {item.path.name}…")
        enhancer, path = self.enhancer, item.path

        def work(_report, cancelled):
            try:
                return make_preview(enhancer, path, cancel=cancelled)
            except Cancelled:
                return None

        self.preview_worker = self.preview_pool.start(
            work, result=self.preview_ready, error=lambda msg, p=path: self.preview_failed(p, msg)
        )

    def preview_ready(self, preview: Preview | None) -> None:
        if preview is None:
            return
        self.previews.put(preview)
        row = self.table.currentIndex().row()
        if 0 <= row < len(self.queue.items) and self.queue.items[row].path == preview.path:
            self.show_preview(preview)

    def preview_failed(self, path: Path, message: str) -> None:
        row = self.queue.row_of(path)
        if row >= 0 and self.queue.items[row].status == QUEUED:
            self.queue.update(row, status=FAILED, reason=message)
        self.view.set_images(None, None)
        self.view.set_message(f"{path.name}: {message}")

    def show_preview(self, preview: Preview) -> None:
        self.current = preview
        h, w = preview.full_size
        self.view.set_message(f"{preview.path.name} — {w}×{h}, {preview.photo_megapixels:.1f} MP")
        self.view.set_images(to_qimage(preview.pixels), None)
        self.request_render()

    def show_zoom(self, scale: float) -> None:
        """The view's zoom in percent of the full-size photo (the preview is smaller)."""
        if self.current is None:
            self.zoom_label.clear()
            return
        ratio = self.current.pixels.shape[1] / self.current.full_size[1]
        self.zoom_label.setText(f"{100 * scale * ratio:.0f}%")

    def strength(self) -> float | None:
        """The strength the controls show: ``None`` for auto exposure."""
        return None if self.auto_check.isChecked() else round(self.strength_spin.value(), 1)

    def set_strength_silently(self, value: float | None) -> None:
        """Show ``value`` (``None``: auto) without treating it as the user's choice."""
        set_checked_silently(self.auto_check, value is None)
        if value is not None:
            self.show_strength_value(value)

    def show_strength_value(self, value: float) -> None:
        for widget, v in ((self.strength_spin, value), (self.strength_slider, round(value * 10))):
            widget.blockSignals(True)
            widget.setValue(v)
            widget.blockSignals(False)

    def strength_changed(self, value: float) -> None:
        """The user moved the slider or typed a strength: a manual strength from now on.
        Drafts follow the slider; the full preview comes when it rests."""
        self.strength_slider.blockSignals(True)
        self.strength_slider.setValue(round(value * 10))
        self.strength_slider.blockSignals(False)
        set_checked_silently(self.auto_check, False)
        self.store_strength(Quality.DRAFT)
        self.full_render_timer.start()

    def auto_toggled(self, on: bool) -> None:
        """Auto on: the batch (and the selected image, if it had its own) goes back to auto."""
        row = self.table.currentIndex().row()
        if on and self.own_strength_check.isChecked():
            set_checked_silently(self.own_strength_check, False)
            if 0 <= row < len(self.queue.items):
                self.queue.update(row, strength=None, chosen=None)
        self.store_strength()

    def store_strength(self, quality: Quality = Quality.FULL) -> None:
        """Keep the controls' strength for the selected image or the batch, and re-render."""
        row = self.table.currentIndex().row()
        strength = self.strength()
        if self.own_strength_check.isChecked() and 0 <= row < len(self.queue.items):
            self.queue.update(row, strength=strength)
        else:
            self.settings.setValue("strength", "auto" if strength is None else strength)
            self.queue.batch_strength = "auto" if strength is None else f"{strength:.1f}"
            self.refresh_strength_column()
        self.request_render(quality)

    def refresh_strength_column(self) -> None:
        """Rows without their own strength show the batch strength until rendered again."""
        for row, item in enumerate(self.queue.items):
            if item.strength is None:
                self.queue.update(row, chosen=None)

    def own_strength_toggled(self, on: bool) -> None:
        row = self.table.currentIndex().row()
        if not 0 <= row < len(self.queue.items):
            return
        if on:
            manual = self.strength_spin.value()
            self.set_strength_silently(round(manual, 1))
            self.queue.update(row, strength=self.strength())
        else:
            self.queue.update(row, strength=None, chosen=None)
            self.set_strength_silently(self.batch_strength())
            self.request_render()

    def batch_strength(self) -> float | None:
        """The batch strength setting: ``None`` for auto exposure (the default)."""
        value = str(self.settings.value("strength", "auto"))
        try:
            return None if value == "auto" else min(max(float(value), 0.0), 8.0)
        except ValueError:
            return None

    def denoise_changed(self, _index: int) -> None:
        self.settings.setValue("denoise", self.denoise_combo.currentData())
        self.request_render()

    def adjustments(self, strength: float | None) -> Adjustments:
        return Adjustments(strength=strength, denoise=Denoise(self.denoise_combo.currentData()))

    def request_render(self, quality: Quality = Quality.FULL) -> None:
        """Render the current preview (or its draft) at the slider's strength; coalesces fast
        slider moves (a pending full render wins over a pending draft)."""
        if self.current is None or self.enhancer is None:
            return
        if self.render_busy:
            self.render_pending = max(quality, self.render_pending or quality)
            return
        self.render_busy, self.render_pending = True, None
        enhancer, preview = self.enhancer, self.current
        adjustments = self.adjustments(self.strength())
        cached = self.rendered.get(quality)
        if cached is not None and cached[0].path != preview.path:
            cached = None

        def work(_report, _cancelled):
            if cached is not None:
                shown, maps = cached
            else:
                shown = preview if quality is Quality.FULL else draft_of(preview)
                maps = UpsampledMaps(adjusted_maps(shown.maps, adjustments))
            return quality, shown, maps, render_preview(enhancer, shown, adjustments, maps)

        self.render_pool.start(
            work,
            result=self.render_ready,
            error=lambda msg, path=preview.path: self.render_failed(path, msg),
            finished=self.render_finished,
        )

    def render_ready(self, result: tuple[Quality, Preview, UpsampledMaps, Enhanced]) -> None:
        quality, shown, maps, enhanced = result
        if self.current is not None and self.current.path == shown.path:
            if quality not in self.rendered or self.rendered[quality][0].path != shown.path:
                self.rendered[quality] = (shown, maps)
            self.view.set_after(to_qimage(enhanced.pixels))
            row = self.queue.row_of(shown.path)
            if enhanced.auto and row >= 0:
                self.queue.update(row, chosen=(enhanced.strength, True))
                if self.auto_check.isChecked():
                    self.show_strength_value(enhanced.strength)

    def render_failed(self, path: Path, message: str) -> None:
        """Show the original alone with the reason, never a result the batch would refuse."""
        if self.current is not None and self.current.path == path:
            self.view.set_images(to_qimage(self.current.pixels), None)
            self.view.set_message(f"{self.current.path.name}: {message}")

    def render_finished(self) -> None:
        self.render_busy = False
        if self.render_pending is not None:
            self.request_render(self.render_pending)

    # output ----------------------------------------------------------------------------------
    def choose_output_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Output folder", self.folder_edit.text() or str(Path.home())
        )
        if folder:
            self.folder_edit.setText(folder)

    def output_options(self, folder: Path) -> OutputOptions:
        return OutputOptions(
            folder=folder,
            suffix=self.suffix_edit.text(),
            format=self.format_combo.currentData(),
            quality=self.quality_spin.value(),
            keep_metadata=self.metadata_check.isChecked(),
            overwrite=self.overwrite_check.isChecked(),
            mirror=self.mirror_check.isChecked(),
        )

    def plan_batch(self) -> BatchJob:
        """Processable queued rows grouped by their output options (one folder each)."""
        chosen = self.folder_edit.text().strip()

        def options_of(found: FoundFile) -> OutputOptions:
            folder = Path(chosen).expanduser() if chosen else sibling_output_folder(found)
            return self.output_options(folder)

        return plan_job([item.found for item in self.queue.items if item.processable], options_of)

    # batch -----------------------------------------------------------------------------------
    def start_batch(self) -> None:
        if self.batch_worker is not None or self.enhancer is None:
            return
        try:
            job = self.plan_batch()
        except PlanError as exc:
            QMessageBox.warning(self, "Cannot start", str(exc))
            return
        if not job.total:
            self.status_label.setText("Nothing to convert.")
            return
        for pairs in job.groups.values():
            for found, _out in pairs:
                self.queue.update(
                    self.queue.row_of(found.path), status=QUEUED, reason="", output=None
                )
        own = {
            item.path: self.adjustments(item.strength)
            for item in self.queue.items
            if item.strength is not None
        }
        default = self.adjustments(self.batch_strength())
        enhancer = self.enhancer
        self.progress.setRange(0, job.total)
        self.progress.setValue(0)
        self.last_output = job.first_folder

        def work(report, cancelled):
            return run_job(
                job,
                enhancer,
                lambda p: own.get(p, default),
                lambda event, progress: report((event, progress.text())),
                cancelled,
            )

        self.batch_worker = self.batch_pool.start(
            work,
            progress=self.batch_progress,
            result=self.batch_done,
            error=self.batch_error,
            finished=self.batch_finished,
        )
        self.status_label.setText(f"Converting {job.total} image(s)…")
        self.update_actions()

    def batch_progress(self, update: tuple[ItemStarted | ItemFinished, str]) -> None:
        event, text = update
        row = self.queue.row_of(event.path)
        if row < 0:
            return
        if isinstance(event, ItemStarted):
            self.queue.update(row, status=WORKING, reason="")
            return
        output = event.output if event.status is ItemStatus.DONE else None
        self.queue.update(row, status=event.status.value, reason=event.reason, output=output)
        if event.strength is not None:
            self.queue.update(row, chosen=(event.strength, event.auto))
        self.progress.setValue(self.progress.value() + 1)
        self.status_label.setText(text)

    def batch_done(self, summary: BatchSummary) -> None:
        self.last_summary = summary
        for item_row, item in enumerate(self.queue.items):
            if item.status == WORKING:
                self.queue.update(item_row, status=QUEUED, reason="cancelled")
        verb = "Cancelled" if summary.cancelled else "Finished"
        text = (
            f"{verb}: {summary.done} converted, {summary.skipped} skipped, "
            f"{summary.failed} failed in {format_duration(summary.seconds)}"
        )
        self.status_label.setText(text)
        if summary.failed and not self.quiet:
            box = QMessageBox(QMessageBox.Icon.Warning, "Some photos failed", text, parent=self)
            box.setDetailedText("\n".join(f"{p}: {r}" for p, r in summary.failures))
            box.open()

    def batch_error(self, message: str) -> None:
        self.status_label.setText(f"The conversion stopped: {message}")
        if not self.quiet:
            QMessageBox.critical(self, "Conversion stopped", message)

    def batch_finished(self) -> None:
        self.batch_worker = None
        self.update_actions()

    def cancel_batch(self) -> None:
        if self.batch_worker is not None:
            self.batch_worker.cancel()
            self.status_label.setText("Cancelling after the current strip…")

    def open_output_folder(self) -> None:
        if self.last_output is not None and self.last_output.is_dir():
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.last_output)))

    def update_actions(self) -> None:
        running = self.batch_worker is not None
        can_start = not running and self.enhancer is not None and bool(self.queue.items)
        self.start_button.setEnabled(can_start)
        self.start_action.setEnabled(can_start)
        self.cancel_button.setEnabled(running)
        self.cancel_action.setEnabled(running)
        self.open_output_button.setEnabled(self.last_output is not None)
        for widget in (self.remove_button, self.clear_button, self.model_combo, self.device_combo):
            widget.setEnabled(not running)
        if self.enhancer is None:
            self.start_button.setToolTip(self.model_error)
        else:
            self.start_button.setToolTip("Convert every queued image (Ctrl+Return)")

    # settings and lifetime -------------------------------------------------------------------
    quiet = False  # tests and the smoke test suppress modal dialogs

    def load_settings(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        self.folder_edit.setText(str(s.value("output/folder", "")))
        self.suffix_edit.setText(str(s.value("output/suffix", "_enhanced")))
        self.format_combo.setCurrentIndex(
            max(0, self.format_combo.findData(s.value("output/format", "same")))
        )
        self.quality_spin.setValue(int(s.value("output/quality", 95)))
        self.metadata_check.setChecked(_bool(s.value("output/metadata", True)))
        self.overwrite_check.setChecked(_bool(s.value("output/overwrite", False)))
        self.mirror_check.setChecked(_bool(s.value("output/mirror", True)))
        self.recursive_check.setChecked(_bool(s.value("queue/recursive", True)))
        self.set_strength_silently(self.batch_strength())
        batch = self.batch_strength()
        self.queue.batch_strength = "auto" if batch is None else f"{batch:.1f}"
        default = DEFAULT_ADJUSTMENTS.denoise.value
        denoise = self.denoise_combo.findData(str(s.value("denoise", default)))
        if denoise < 0:
            denoise = self.denoise_combo.findData(default)
        self.denoise_combo.blockSignals(True)
        self.denoise_combo.setCurrentIndex(denoise)
        self.denoise_combo.blockSignals(False)
        self.mode_combo.setCurrentIndex(
            max(0, self.mode_combo.findData(s.value("view/mode", SPLIT)))
        )
        device = self.device_combo.findData(s.value("device", "auto"))
        model = s.value("model")
        self.device_combo.blockSignals(True)
        self.device_combo.setCurrentIndex(max(device, 0))
        self.device_combo.blockSignals(False)
        if model and Path(str(model)).is_file():
            self.refresh_models(select=Path(str(model)))

    def save_settings(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("output/folder", self.folder_edit.text())
        s.setValue("output/suffix", self.suffix_edit.text())
        s.setValue("output/format", self.format_combo.currentData())
        s.setValue("output/quality", self.quality_spin.value())
        s.setValue("output/metadata", self.metadata_check.isChecked())
        s.setValue("output/overwrite", self.overwrite_check.isChecked())
        s.setValue("output/mirror", self.mirror_check.isChecked())
        s.setValue("queue/recursive", self.recursive_check.isChecked())
        if not self.own_strength_check.isChecked():
            strength = self.strength()
            s.setValue("strength", "auto" if strength is None else strength)
        s.setValue("denoise", self.denoise_combo.currentData())
        s.setValue("view/mode", self.mode_combo.currentData())
        s.setValue("device", self.device_combo.currentData())
        model = self.model_combo.currentData()
        s.setValue("model", str(model) if model else "")
        s.sync()

    def shutdown(self) -> None:
        """Stop every worker and wait for it (cancelled work leaves no partial files)."""
        pools = [self.discovery_pool, self.batch_pool, self.preview_pool, self.render_pool]
        if self.training_dialog is not None:
            pools.append(self.training_dialog.pool)
        for pool in pools:
            pool.stop()

    def closeEvent(self, event) -> None:
        self.save_settings()
        self.shutdown()
        super().closeEvent(event)

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", SHORTCUTS)

    def show_about(self) -> None:
        model = self.model_combo.currentText() or "none"
        device = str(self.enhancer.device) if self.enhancer else "—"
        QMessageBox.about(
            self,
            "About zdce",
            f"<b>zdce {__version__}</b><br>Rescue dark photos with Zero-DCE light-enhancement "
            f"curves (Guo et al., CVPR 2020).<br><br>Model: {model}<br>Device: {device}<br>"
            f"Threads: {os.cpu_count()} cores",
        )


def _bool(value: object) -> bool:
    """QSettings gives strings back from INI files."""
    return value in (True, "true", "True", "1", 1)
