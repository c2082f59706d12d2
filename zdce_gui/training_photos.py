"""The photo side of the training dialog: the chosen folders, a scan of their photos in a
worker (readable, dark enough, enough of them), thumbnails, and the sample photo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from zdce_core.image_io import read_image
from zdce_core.pixels import reduced_copy
from zdce_core.training_config import FEW_IMAGES, MIN_IMAGES, validation_every
from zdce_core.training_data import DARK_BELOW, ScannedImage, scan_images
from zdce_gui.dialogs import Asker
from zdce_gui.qimage import to_qimage
from zdce_gui.workers import Worker, WorkerPool

THUMBNAILS = 40
SAMPLE_SIZE = 512


def split_text(usable: int) -> str:
    """How ``usable`` photos are split into training and validation."""
    every = validation_every(usable)
    held = usable // every
    return f"{usable - held} for training, {held} held out to check progress"


class TrainingPhotos(QGroupBox):
    """Emits ``changed`` when the scan starts or ends, ``sample_changed(pixels)`` when the
    sample photo ``(h, w, 3)`` uint8 is read."""

    changed = Signal()
    sample_changed = Signal(object)

    def __init__(self, pool: WorkerPool, asker: Asker, queue_paths: list[Path]) -> None:
        super().__init__("Photos")
        self.pool = pool
        self.asker = asker
        self.queue_paths = queue_paths
        self.scan_worker: Worker | None = None
        self._scan_generation = 0
        self.scanned: list[ScannedImage] = []
        self.sample: np.ndarray | None = None
        self.folders = QListWidget()
        self.folders.setMaximumHeight(80)
        self.add_button = QPushButton("Add Folder…")
        self.remove_button = QPushButton("Remove")
        self.use_queue_button = QPushButton("Use the Images in the Queue")
        self.add_button.clicked.connect(lambda _c=False: self.ask_add_folder())
        self.remove_button.clicked.connect(lambda _c=False: self.remove_folder())
        self.use_queue_button.clicked.connect(lambda _c=False: self.set_sources(self.queue_paths))
        buttons = QHBoxLayout()
        for b in (self.add_button, self.remove_button, self.use_queue_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.scan_label = QLabel("Choose folders of your dark photos.")
        self.scan_label.setWordWrap(True)
        self.warning_label = QLabel()
        self.warning_label.setWordWrap(True)
        self.warning_label.setStyleSheet("color: #c62828")
        self.thumbs = QListWidget()
        self.thumbs.setViewMode(QListView.ViewMode.IconMode)
        self.thumbs.setFlow(QListView.Flow.LeftToRight)
        self.thumbs.setWrapping(False)
        self.thumbs.setIconSize(QSize(72, 72))
        self.thumbs.setFixedHeight(112)
        self.thumbs.setToolTip("Click a photo to use it as the before/after sample")
        self.thumbs.currentRowChanged.connect(self.choose_sample)
        layout = QVBoxLayout(self)
        layout.addWidget(self.folders)
        layout.addLayout(buttons)
        layout.addWidget(self.scan_label)
        layout.addWidget(self.warning_label)
        layout.addWidget(self.thumbs)
        self.set_queue_paths(queue_paths)

    def set_queue_paths(self, paths: list[Path]) -> None:
        self.queue_paths = paths
        self.use_queue_button.setEnabled(bool(paths))

    @property
    def scanning(self) -> bool:
        return self.scan_worker is not None

    def ask_add_folder(self) -> None:
        folder = self.asker.folder("Folder of dark photos", Path.home())
        if folder is not None:
            self.set_sources([*self.sources(), folder])

    def remove_folder(self) -> None:
        row = self.folders.currentRow()
        if row >= 0:
            self.set_sources([p for i, p in enumerate(self.sources()) if i != row])

    def sources(self) -> list[Path]:
        return [Path(self.folders.item(i).text()) for i in range(self.folders.count())]

    def set_sources(self, paths: list[Path]) -> None:
        """Show ``paths`` (folders or files) and scan them in a worker."""
        self.folders.clear()
        for p in dict.fromkeys(paths):
            self.folders.addItem(str(p))
        if self.scan_worker is not None:
            self.scan_worker.cancel()
        self.scanned, self.sample = [], None
        self.thumbs.clear()
        self.scan_label.setText("Looking at the photos…" if paths else "No photos chosen.")
        self.warning_label.clear()
        self.scan_worker = None
        if paths:

            def work(report, cancelled):
                for scanned in scan_images(paths, cancel=cancelled):
                    report(scanned)

            self._scan_generation += 1
            current = self._scan_generation  # results of a replaced scan are ignored
            self.scan_worker = self.pool.start(
                work,
                progress=lambda s: current == self._scan_generation and self._scanned_one(s),
                result=lambda _r: current == self._scan_generation and self._scan_done(),
                error=lambda m: current == self._scan_generation and self._scan_failed(m),
            )
        self.changed.emit()

    def _scanned_one(self, scanned: ScannedImage) -> None:
        self.scanned.append(scanned)
        if scanned.thumbnail is not None and self.thumbs.count() < THUMBNAILS:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(to_qimage(scanned.thumbnail))), "")
            item.setToolTip(f"{scanned.path.name} — mean gray {scanned.mean_gray:.2f}")
            item.setData(Qt.ItemDataRole.UserRole, str(scanned.path))
            self.thumbs.addItem(item)

    def _scan_done(self) -> None:
        self.scan_worker = None
        usable = self.usable_count()
        dark = [s for s in self.scanned if s.mean_gray is not None and s.mean_gray < DARK_BELOW]
        bad = len(self.scanned) - usable
        text = f"{usable} usable photo(s), {len(dark)} of them dark"
        if usable >= MIN_IMAGES:
            text += f": {split_text(usable)}"
        self.scan_label.setText(text + (f"; {bad} unreadable (skipped)" if bad else "") + ".")
        warnings = []
        if usable < MIN_IMAGES:
            warnings.append(f"Too few photos: training needs at least {MIN_IMAGES}.")
        elif usable < FEW_IMAGES:
            warnings.append(
                f"Only {usable} photos: the model may learn these photos rather than dark "
                f"photos in general. {FEW_IMAGES} or more are better."
            )
        if usable and len(dark) < usable / 2:
            warnings.append(
                f"Most of these photos are not dark (mean gray ≥ {DARK_BELOW}); the model "
                "learns to brighten dark photos."
            )
        self.warning_label.setText(" ".join(warnings))
        shown = [s for s in self.scanned if s.thumbnail is not None][: self.thumbs.count()]
        if shown and self.thumbs.currentRow() < 0:  # the darkest shown photo as the sample
            darkest = min(range(len(shown)), key=lambda i: shown[i].mean_gray or 0.0)
            self.thumbs.setCurrentRow(darkest)
        self.changed.emit()

    def _scan_failed(self, message: str) -> None:
        self.scan_worker = None
        self.scan_label.setText(f"Could not read the photos: {message}")
        self.changed.emit()

    def usable_count(self) -> int:
        return sum(1 for s in self.scanned if not s.error)

    def choose_sample(self, row: int) -> None:
        item = self.thumbs.item(row)
        if item is None:
            return
        path = Path(item.data(Qt.ItemDataRole.UserRole))
        self.pool.start(
            lambda _r, _c: reduced_copy(read_image(path).pixels, SAMPLE_SIZE),
            result=self._sample_ready,
            error=lambda m: self.warning_label.setText(f"Cannot show {path.name}: {m}"),
        )

    def _sample_ready(self, pixels: np.ndarray) -> None:
        self.sample = pixels
        self.sample_changed.emit(pixels)
