"""The main window's widgets and menus, laid out; no behaviour (controllers connect them)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from zdce_gui.compare_view import CompareView, ViewMode
from zdce_gui.histogram_view import HistogramView

CAST_BOX = "Correct casts"
KEEP_CAST = f"untick {CAST_BOX} to keep it as shot"
"""How the app says to keep a corrected colour cast, after the note on a row."""

SLIDER_STEPS = 80  # 0.1 strength per step
FORMATS = [
    ("Same as input", "same"),
    ("JPEG", "jpeg"),
    ("PNG", "png"),
    ("TIFF", "tiff"),
    ("WebP", "webp"),
]
STRENGTH_SLIDER_MIN = 120
"""Pixels: 12 per whole strength, short enough for the window to fit 900 px wide."""
QUEUE_COLUMN_WIDTHS = (150, 72, 80, 70)  # Name, Status ("cancelled"), Strength ("auto 5.3"), Size


def _button(text: str, tip: str = "", focus: bool = True) -> QPushButton:
    button = QPushButton(text)
    if tip:
        button.setToolTip(tip)
    if not focus:  # Space must keep showing the original, not press this button
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    return button


def _row(*parts: QWidget | str | tuple[QWidget, int]) -> QHBoxLayout:
    """A row of widgets (``(widget, stretch)`` to stretch one) and labels (a string)."""
    row = QHBoxLayout()
    for part in parts:
        if isinstance(part, str):
            row.addWidget(QLabel(part))
        elif isinstance(part, tuple):
            row.addWidget(*part)
        else:
            row.addWidget(part)
    return row


def _narrow(combo: QComboBox) -> None:
    """A combo box whose long entries do not widen the window (they show in its list)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(6)


def set_checked_silently(box: QCheckBox, on: bool) -> None:
    """Show ``on`` in ``box`` without emitting ``toggled`` (a display update, not a choice)."""
    box.blockSignals(True)
    box.setChecked(on)
    box.blockSignals(False)


class ElideAtEnd(QStyledItemDelegate):
    """Cuts text at its end ("not an image, or a for…"): a reason reads from its start,
    where file names are cut in the middle to keep their extension."""

    def initStyleOption(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        super().initStyleOption(option, index)
        option.textElideMode = Qt.TextElideMode.ElideRight  # pyright: ignore[reportAttributeAccessIssue]


class MainLayout:
    """Builds every widget of ``window`` as an attribute, and its menus as actions."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        queue_panel = self._queue_panel()
        preview_panel = self._preview_panel()
        self.splitter = QSplitter()
        self.splitter.addWidget(queue_panel)
        self.splitter.addWidget(preview_panel)
        self.splitter.setStretchFactor(0, 2)  # a wider window widens both: the queue's
        self.splitter.setStretchFactor(1, 3)  # reasons show in full, the photo grows
        self.splitter.setSizes([560, 840])
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m")
        self.status_label = QLabel("Add photos to start.")
        self.start_button = _button("Start")
        self.start_button.setDefault(True)
        self.cancel_button = _button("Cancel")
        self.open_output_button = _button("Open Output Folder")
        self.watch_button = _button("", "Photos arriving in the folder are converted; click: stop")
        self.watch_button.setStyleSheet("color: #2e7d32; font-weight: bold")
        self.watch_button.hide()  # shown while a folder is watched
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.status_label, 2)
        bottom.addWidget(self.watch_button)
        for w in (self.start_button, self.cancel_button, self.open_output_button):
            bottom.addWidget(w)
        central = QWidget()
        cl = QVBoxLayout(central)
        cl.addWidget(self.splitter, 1)
        cl.addLayout(bottom)
        window.setCentralWidget(central)
        self._menus()

    def _queue_panel(self) -> QWidget:
        self.table = QTableView()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.add_files_button = _button("Add Files…")
        self.add_folder_button = _button("Add Folder…")
        self.remove_button = _button("Remove")
        self.clear_button = _button("Clear")
        self.recursive_check = QCheckBox("Include subfolders")
        buttons = QHBoxLayout()
        for w in (
            self.add_files_button,
            self.add_folder_button,
            self.remove_button,
            self.clear_button,
        ):
            buttons.addWidget(w)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addLayout(buttons)
        layout.addWidget(self.recursive_check)
        layout.addWidget(self.table)
        layout.addWidget(self._output_box())
        return panel

    def _output_box(self) -> QGroupBox:
        box = QGroupBox("Output and model")
        form = QFormLayout(box)
        self.preset_combo = QComboBox()
        self.preset_combo.setToolTip("Apply a preset's settings (look and export) to the controls")
        _narrow(self.preset_combo)
        self.save_preset_button = _button("Save as Preset…", "Keep the settings under a name")
        form.addRow("Preset", _row((self.preset_combo, 1), self.save_preset_button))
        self.folder_rule_combo = QComboBox()  # choices filled in by output_box
        self.folder_rule_combo.setToolTip("Where the outputs go")
        _narrow(self.folder_rule_combo)
        form.addRow("Save to", self.folder_rule_combo)
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("choose a folder (Browse…)")
        self.browse_button = _button("Browse…")
        form.addRow("Folder", _row((self.folder_edit, 1), self.browse_button))
        self.name_edit = QLineEdit()
        self.name_edit.setToolTip(
            "Output file names, without the extension: {name} {suffix} {model} {strength} {date}"
        )
        self.suffix_edit = QLineEdit()
        self.suffix_edit.setMaximumWidth(110)
        self.suffix_edit.setToolTip("What {suffix} stands for in the file name")
        form.addRow("File name", _row((self.name_edit, 1), "Suffix", self.suffix_edit))
        self.format_combo = QComboBox()
        for label, key in FORMATS:
            self.format_combo.addItem(label, key)
        self.quality_spin = QSpinBox()
        self.quality_spin.setRange(1, 100)
        self.quality_spin.setToolTip("JPEG and WebP quality")
        form.addRow("Format", _row((self.format_combo, 1), "Quality", self.quality_spin))
        self.long_edge_spin = QSpinBox()
        self.long_edge_spin.setRange(0, 100_000)
        self.long_edge_spin.setSingleStep(256)
        self.long_edge_spin.setSpecialValueText("Full size")
        self.long_edge_spin.setSuffix(" px")
        self.long_edge_spin.setToolTip("Scale outputs down to this longer side (never up)")
        self.unchanged_combo = QComboBox()
        self.unchanged_combo.setToolTip("Photos that need no change (auto strength 0)")
        _narrow(self.unchanged_combo)
        form.addRow("Long edge", _row(self.long_edge_spin, "Unchanged", (self.unchanged_combo, 1)))
        self.metadata_check = QCheckBox("Keep metadata")
        self.metadata_check.setToolTip("Copy each photo's EXIF data and colour profile")
        self.overwrite_check = QCheckBox("Overwrite existing outputs")
        self.overwrite_check.setToolTip(
            "Replace outputs that already exist (this session only: off when the app starts)"
        )
        self.mirror_check = QCheckBox("Mirror subfolders")
        checks = QHBoxLayout()
        for check in (self.metadata_check, self.mirror_check):
            checks.addWidget(check)
        checks.addStretch(1)
        form.addRow("", checks)
        form.addRow("", self.overwrite_check)
        self.model_combo = QComboBox()
        self.import_button = _button("Import…")
        form.addRow("Model", _row((self.model_combo, 1), self.import_button))
        self.device_combo = QComboBox()
        form.addRow("Device", self.device_combo)
        return box

    def _preview_panel(self) -> QWidget:
        self.view = CompareView()
        self.histogram = HistogramView()
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Split view", ViewMode.SPLIT)
        self.mode_combo.addItem("Side by side", ViewMode.SIDE_BY_SIDE)
        self.mode_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.fit_button = _button("Fit", "Fit the photo in the view (Ctrl+0)", focus=False)
        self.actual_button = _button("100%", "One photo pixel per screen pixel (Ctrl+1)", False)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(48)
        self.zoom_label.setToolTip("Zoom, relative to the photo's full size")
        self.compare_combo = QComboBox()  # models filled in by the model compare
        self.compare_combo.setToolTip(
            "Show the photo rendered with another model in the Before pane, beside the model "
            "in use (Original: the photo as it is)"
        )
        self.compare_combo.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        _narrow(self.compare_combo)
        self.compare_combo.setMinimumContentsLength(4)  # the row fits a 900 px window
        self.denoise_combo = QComboBox()  # levels filled in by the preview controller
        self.denoise_combo.setToolTip("Smooth the noise of lifted shadows")
        view_row = QHBoxLayout()
        for w in (self.mode_combo, self.fit_button, self.actual_button, self.zoom_label):
            view_row.addWidget(w)
        view_row.addStretch(1)
        view_row.addWidget(QLabel("Compare"))
        view_row.addWidget(self.compare_combo, 1)

        self.auto_check = QCheckBox("Auto")
        self.auto_check.setToolTip(
            "Auto exposure: each photo gets the strength it needs; move the slider to choose one"
        )
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, SLIDER_STEPS)
        self.strength_slider.setPageStep(5)
        self.strength_slider.setMinimumWidth(STRENGTH_SLIDER_MIN)
        self.strength_spin = QDoubleSpinBox()
        self.strength_spin.setRange(0.0, 8.0)
        self.strength_spin.setSingleStep(0.1)
        self.strength_spin.setDecimals(1)
        self.own_strength_check = QCheckBox("Only this image")
        self.own_strength_check.setToolTip(
            "Keep this strength and denoise for the selected image; the others use the batch's"
        )
        strength_row = _row(
            "Strength",
            self.auto_check,
            (self.strength_slider, 1),
            self.strength_spin,
            self.own_strength_check,
        )
        self.target_spin = QDoubleSpinBox()
        self.target_spin.setRange(0.05, 0.95)
        self.target_spin.setSingleStep(0.05)
        self.target_spin.setDecimals(2)
        self.target_spin.setToolTip(
            "The brightness auto exposure lifts a dark photo's content toward (0.50)"
        )
        self.highlights_check = QCheckBox("Protect highlights")
        self.highlights_check.setToolTip("Keep bright areas (lamps, sky) as they are")
        self.cast_check = QCheckBox(CAST_BOX)
        self.cast_check.setToolTip(
            "Partly correct an extreme colour cast of the light (sodium street lamps, orange "
            "fog); off: keep every colour as shot"
        )
        look_row = QHBoxLayout()
        look_row.addWidget(QLabel("Target brightness"))
        look_row.addWidget(self.target_spin)
        look_row.addStretch(1)
        look_row.addWidget(QLabel("Denoise"))
        look_row.addWidget(self.denoise_combo)
        toggles_row = QHBoxLayout()  # a row of their own: the window still fits 900 px wide
        toggles_row.addWidget(self.highlights_check)
        toggles_row.addWidget(self.cast_check)
        toggles_row.addStretch(1)

        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.histogram)
        layout.addLayout(view_row)
        layout.addLayout(strength_row)
        layout.addLayout(look_row)
        layout.addLayout(toggles_row)
        return panel

    def _browsing_keys(self) -> None:
        """←/→, Home/End and S work while the queue or the preview has the focus, never
        while a text field (or the strength slider) has it; the queue's context menu offers
        Skip in Batch."""
        browsing = (
            self.previous_action,
            self.next_action,
            self.first_action,
            self.last_action,
            self.skip_action,
        )
        for act in browsing:
            act.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
            self.table.addAction(act)
            self.view.addAction(act)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def _menus(self) -> None:
        bar = self.window.menuBar()

        def action(
            menu: QMenu, text: str, shortcut: str | QKeySequence.StandardKey | None = None
        ) -> QAction:
            act = QAction(text, self.window)
            if shortcut:
                act.setShortcut(QKeySequence(shortcut))
            menu.addAction(act)
            return act

        file_menu = bar.addMenu("&File")
        self.add_files_action = action(file_menu, "Add &Files…", QKeySequence.StandardKey.Open)
        self.add_folder_action = action(file_menu, "Add F&older…", "Ctrl+Shift+O")
        self.remove_action = action(file_menu, "&Remove Selected", QKeySequence.StandardKey.Delete)
        self.skip_action = action(file_menu, "S&kip in Batch", "S")
        self.skip_action.setCheckable(True)
        self.skip_action.setToolTip("Leave the selected photos out of the batch, or put them back")
        self.sync_action = action(file_menu, "S&ync Settings to Selected", "Ctrl+Shift+S")
        self.sync_action.setToolTip(
            "Give the other selected photos the strength and denoise of the one in the preview"
        )
        file_menu.addSeparator()
        self.save_preset_action = action(file_menu, "Save Settings as &Preset…")
        file_menu.addSeparator()
        self.watch_action = action(file_menu, "&Watch Folder…")
        self.watch_action.setToolTip("Convert the photos arriving in a folder as they come")
        self.stop_watch_action = action(file_menu, "Stop &Watching")
        self.stop_watch_action.setEnabled(False)
        file_menu.addSeparator()
        self.start_action = action(file_menu, "&Start", "Ctrl+Return")
        self.cancel_action = action(file_menu, "&Cancel", "Esc")
        self.open_output_action = action(file_menu, "Open &Output Folder")
        file_menu.addSeparator()
        self.quit_action = action(file_menu, "&Quit", QKeySequence.StandardKey.Quit)
        view_menu = bar.addMenu("&View")
        self.fit_action = action(view_menu, "&Fit", "Ctrl+0")
        self.actual_action = action(view_menu, "&100%", "Ctrl+1")
        view_menu.addSeparator()
        self.previous_action = action(view_menu, "&Previous Photo", "Left")
        self.next_action = action(view_menu, "&Next Photo", "Right")
        self.first_action = action(view_menu, "F&irst Photo", "Home")
        self.last_action = action(view_menu, "&Last Photo", "End")
        self._browsing_keys()
        model_menu = bar.addMenu("&Model")
        self.train_action = action(model_menu, "&Train…")
        self.manage_action = action(model_menu, "&Manage…")
        self.import_action = action(model_menu, "&Import Model…")
        self.models_folder_action = action(model_menu, "Open &Models Folder")
        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = action(help_menu, "&Keyboard Shortcuts")
        self.about_action = action(help_menu, "&About")
