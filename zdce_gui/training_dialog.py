"""Model → Train…: fine-tune a model on the user's own dark photos, watching it learn."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from zdce_core.enhancer import reduced_copy
from zdce_core.image_io import read_image
from zdce_core.model_store import check_model_name, list_models
from zdce_core.textbar import format_duration
from zdce_core.training import (
    DARK_BELOW,
    MIN_IMAGES,
    EpochDone,
    ScannedImage,
    StepProgress,
    TrainConfig,
    Trainer,
    TrainResult,
    TrainWarning,
    enhance_with,
    export_checkpoint,
    read_checkpoint_info,
    run_dir_for,
    scan_images,
    unfinished_runs,
)
from zdce_gui.compare_view import SIDE_BY_SIDE, CompareView, to_qimage
from zdce_gui.loss_chart import LossChart
from zdce_gui.workers import Worker, WorkerPool

THUMBNAILS = 40
SAMPLE_SIZE = 512
FROM_SCRATCH = {"From scratch (DCE-Net)": "dcenet", "From scratch (DCE-Net++)": "dcenet++"}


@dataclass(frozen=True)
class SamplePreview:
    """The sample photo enhanced with the weights after ``epoch``."""

    epoch: int
    pixels: np.ndarray


class TrainingDialog(QDialog):
    """Choose photos and settings, train in a worker thread, save a named model."""

    model_saved = Signal(str)

    def __init__(self, parent: QWidget | None = None, queue_paths: list[Path] | None = None):
        super().__init__(parent)
        self.setWindowTitle("Train a model on your photos")
        self.queue_paths = queue_paths or []
        self.pool = WorkerPool(threads=2)  # training, and photo checks beside it
        self.scan_worker: Worker | None = None
        self._scan_generation = 0
        self.train_worker: Worker | None = None
        self.scanned: list[ScannedImage] = []
        self.sample: np.ndarray | None = None
        self.last_result: TrainResult | None = None
        self.quiet = False
        self._build()
        self.offer_resume()
        self.update_state()

    def offer_resume(self) -> None:
        """Prefill the most recent unfinished run, so that Resume is one click away."""
        runs = unfinished_runs()
        if not runs:
            return
        name, info = runs[0]
        config = info["config"]
        self.name_edit.setText(name)
        self.epochs_spin.setValue(int(config["epochs"]))
        self.set_sources([Path(p) for p in config["data"]])
        self.status.setText(
            f"“{name}” stopped after epoch {info['epoch']} of {config['epochs']}: "
            "Resume continues it."
        )
        for record in info["history"]:
            self._chart_epoch(record["epoch"], record["train"], record["val"])

    # construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.folders = QListWidget()
        self.folders.setMaximumHeight(80)
        add = QPushButton("Add Folder…")
        add.clicked.connect(self.add_folder_dialog)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_folder)
        self.use_queue_button = QPushButton("Use the Images in the Queue")
        self.use_queue_button.setEnabled(bool(self.queue_paths))
        self.use_queue_button.clicked.connect(lambda: self.set_sources(self.queue_paths))
        buttons = QHBoxLayout()
        for b in (add, remove, self.use_queue_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.scan_label = QLabel("Choose folders of your dark photos.")
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
        photos = QGroupBox("Photos")
        pl = QVBoxLayout(photos)
        pl.addWidget(self.folders)
        pl.addLayout(buttons)
        pl.addWidget(self.scan_label)
        pl.addWidget(self.warning_label)
        pl.addWidget(self.thumbs)

        settings = QGroupBox("Training")
        form = QFormLayout(settings)
        self.name_edit = QLineEdit("my-photos")
        self.name_edit.textChanged.connect(lambda _t: self.update_state())
        form.addRow("Model name", self.name_edit)
        self.base_combo = QComboBox()
        for entry in list_models():
            self.base_combo.addItem(f"Fine-tune {entry.name}", str(entry.path))
        for label in FROM_SCRATCH:
            self.base_combo.addItem(label, label)
        form.addRow("Start from", self.base_combo)
        self.epochs_spin = _spin(1, 1000, 10)
        self.crop_spin = _spin(64, 512, 256, step=16)
        self.batch_spin = _spin(1, 64, 8)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Crop size (px)", self.crop_spin)
        form.addRow("Batch size", self.batch_spin)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 1e-2)
        self.lr_spin.setSingleStep(1e-5)
        self.lr_spin.setValue(5e-5)
        self.lr_spin.setToolTip(
            "5e-5 suits fine-tuning; 1e-4 is the reference for training from scratch"
        )
        form.addRow("Learning rate", self.lr_spin)
        self.exposure_slider = QSlider(Qt.Orientation.Horizontal)
        self.exposure_slider.setRange(30, 80)
        self.exposure_slider.setValue(60)
        self.exposure_label = QLabel()
        self.exposure_slider.valueChanged.connect(self._exposure_text)
        self._exposure_text(60)
        row = QHBoxLayout()
        row.addWidget(self.exposure_slider, 1)
        row.addWidget(self.exposure_label)
        form.addRow("Brightness target", row)
        hint = QLabel("How bright the result should be: lower if results look over-exposed.")
        hint.setWordWrap(True)
        form.addRow("", hint)
        self.advanced = QGroupBox("Advanced: loss weights")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        adv = QFormLayout(self.advanced)
        self.weight_spins = {}
        for key, label, value in (
            ("spa", "Spatial consistency", 1.0),
            ("exp", "Exposure", 10.0),
            ("col", "Colour constancy", 5.0),
            ("tv", "Smoothness (TV)", 200.0),
        ):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 10000.0)
            spin.setValue(value)
            adv.addRow(label, spin)
            self.weight_spins[key] = spin
        form.addRow(self.advanced)

        self.progress = QProgressBar()
        self.status = QLabel("Not started.")
        self.chart = LossChart()
        self.sample_view = CompareView()
        self.sample_view.set_mode(SIDE_BY_SIDE)
        self.sample_view.set_message("The sample photo, before and after each epoch")
        watch = QSplitter(Qt.Orientation.Vertical)
        watch.addWidget(self.chart)
        watch.addWidget(self.sample_view)
        self.start_button = QPushButton("Start")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save Model")
        close = QPushButton("Close")
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.stop_button.clicked.connect(self.stop)
        self.save_button.clicked.connect(self.save_stopped_run)
        close.clicked.connect(self.close)
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        for b in (self.start_button, self.resume_button, self.stop_button, self.save_button, close):
            bottom.addWidget(b)

        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(photos)
        ll.addWidget(settings)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.status)
        rl.addWidget(watch, 1)
        split = QSplitter()
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        self.resize(1200, 800)

    def _exposure_text(self, value: int) -> None:
        self.exposure_label.setText(f"{value / 100:.2f}")

    # photos ----------------------------------------------------------------------------------
    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of dark photos", str(Path.home()))
        if folder:
            self.set_sources([*self.sources(), Path(folder)])

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
        self.update_state()
        if not paths:
            return

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

    def _scanned_one(self, scanned: ScannedImage) -> None:
        self.scanned.append(scanned)
        if scanned.thumbnail is not None and self.thumbs.count() < THUMBNAILS:
            item = QListWidgetItem(QIcon(QPixmap.fromImage(to_qimage(scanned.thumbnail))), "")
            item.setToolTip(f"{scanned.path.name} — mean gray {scanned.mean_gray:.2f}")
            item.setData(Qt.ItemDataRole.UserRole, str(scanned.path))
            self.thumbs.addItem(item)

    def _scan_done(self) -> None:
        self.scan_worker = None
        usable = [s for s in self.scanned if not s.error]
        dark = [s for s in usable if s.mean_gray is not None and s.mean_gray < DARK_BELOW]
        bad = len(self.scanned) - len(usable)
        text = f"{len(usable)} usable photo(s), {len(dark)} of them dark"
        self.scan_label.setText(text + (f"; {bad} unreadable (skipped)" if bad else ""))
        warnings = []
        if len(usable) < MIN_IMAGES:
            warnings.append(f"Too few photos: training needs at least {MIN_IMAGES}.")
        elif len(dark) < len(usable) / 2:
            warnings.append(
                "Most of these photos are not dark (mean gray ≥ "
                f"{DARK_BELOW}); the model learns to brighten dark photos."
            )
        self.warning_label.setText(" ".join(warnings))
        shown = [s for s in self.scanned if s.thumbnail is not None][: self.thumbs.count()]
        if shown and self.thumbs.currentRow() < 0:  # the darkest shown photo as the sample
            self.thumbs.setCurrentRow(min(range(len(shown)), key=lambda i: shown[i].mean_gray))
        self.update_state()

    def _scan_failed(self, message: str) -> None:
        self.scan_worker = None
        self.scan_label.setText(f"Could not read the photos: {message}")
        self.update_state()

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
            error=lambda m: self.sample_view.set_message(f"Cannot show {path.name}: {m}"),
        )

    def _sample_ready(self, pixels: np.ndarray) -> None:
        self.sample = pixels
        self.sample_view.set_images(to_qimage(pixels), None)

    # training --------------------------------------------------------------------------------
    def config(self) -> TrainConfig:
        base = self.base_combo.currentData()
        weights = (
            {k: s.value() for k, s in self.weight_spins.items()}
            if self.advanced.isChecked()
            else {}
        )
        return TrainConfig(
            data=[str(p) for p in self.sources()],
            name=check_model_name(self.name_edit.text()),
            arch=FROM_SCRATCH.get(base, "dcenet"),
            base=None if base in FROM_SCRATCH else base,
            epochs=self.epochs_spin.value(),
            crop=self.crop_spin.value(),
            batch_size=self.batch_spin.value(),
            lr=self.lr_spin.value(),
            exposure_target=self.exposure_slider.value() / 100,
            loss_weights=weights,
            scale_min=0.5,
            flips=True,
            val_every=validation_every(self.usable_count()),
        )

    def run_dir(self) -> Path | None:
        try:
            return run_dir_for(check_model_name(self.name_edit.text()))
        except ValueError:
            return None

    def start(self, resume: bool) -> None:
        if self.train_worker is not None:
            return
        try:
            config = self.config()
            config.validate()
        except ValueError as exc:
            QMessageBox.warning(self, "Cannot start", str(exc))
            return
        run_dir = run_dir_for(config.name)
        if not resume and (run_dir / "checkpoint.pt").exists():
            if (
                not self.quiet
                and QMessageBox.question(
                    self,
                    "Start over?",
                    f"An earlier run of “{config.name}” can be resumed. Start over and discard it?",
                )
                != QMessageBox.StandardButton.Yes
            ):
                return
            shutil.rmtree(run_dir)
        self.chart.clear()
        if resume:
            for record in (read_checkpoint_info(run_dir) or {}).get("history", []):
                self._chart_epoch(record["epoch"], record["train"], record["val"])

        def work(report, cancelled):
            trainer = Trainer(config, run_dir=run_dir, resume=resume)

            def on_progress(p):
                report(p)
                sample = self.sample  # the photo chosen now, even mid-run
                if isinstance(p, EpochDone) and sample is not None:
                    report(SamplePreview(p.epoch, enhance_with(trainer.net, sample)))

            return trainer.run(on_progress, cancelled)

        self.progress.setRange(0, 0)
        self.status.setText("Starting…")
        self.train_worker = self.pool.start(
            work,
            progress=self._progress,
            result=self._finished,
            error=self._failed,
            finished=self._worker_done,
        )
        self.update_state()

    def _chart_epoch(self, epoch: int, train: dict, val: dict | None) -> None:
        for key in ("total", "spa", "exp", "col", "tv"):
            self.chart.add(key, epoch, train[key])
            if val:
                self.chart.add(f"val {key}", epoch, val[key])

    def _progress(self, p: object) -> None:
        if isinstance(p, StepProgress):
            self.progress.setRange(0, p.steps)
            self.progress.setValue(p.step)
            self.status.setText(
                f"Epoch {p.epoch}/{p.epochs} · step {p.step}/{p.steps} · "
                f"{p.images_per_second:.1f} images/s · ETA {format_duration(p.eta_seconds)} · "
                f"loss {p.losses.total:.4f}"
            )
            self.chart.add("batch", p.epoch - 1 + p.step / p.steps, p.losses.total)
        elif isinstance(p, EpochDone):
            self._chart_epoch(p.epoch, vars(p.train), vars(p.val) if p.val else None)
        elif isinstance(p, SamplePreview):
            self.sample_view.set_after(to_qimage(p.pixels))
            self.sample_view.set_message(f"After epoch {p.epoch}")
        elif isinstance(p, TrainWarning):
            self.warning_label.setText(p.message)

    def _finished(self, result: TrainResult) -> None:
        self.last_result = result
        if result.status == "finished" and result.model_path is not None:
            self.status.setText(
                f"Done: saved as “{result.model_path.stem}” ({result.epochs_done} epochs)."
            )
            self.model_saved.emit(str(result.model_path))
        else:
            self.status.setText(
                f"Stopped. {result.epochs_done} epoch(s) completed and kept: "
                "Save Model keeps them, Resume continues."
            )

    def _failed(self, message: str) -> None:
        self.status.setText(f"Training stopped: {message}")
        if not self.quiet:
            QMessageBox.critical(self, "Training stopped", message)

    def _worker_done(self) -> None:
        self.train_worker = None
        self.progress.setRange(0, 1)
        self.update_state()

    def stop(self) -> None:
        if self.train_worker is not None:
            self.train_worker.cancel()
            self.status.setText("Stopping after the current step…")

    def save_stopped_run(self) -> None:
        run_dir = self.run_dir()
        if run_dir is None or self.train_worker is not None:
            return
        try:
            path = export_checkpoint(run_dir)
        except (ValueError, RuntimeError) as exc:
            QMessageBox.warning(self, "Cannot save", str(exc))
            return
        self.status.setText(f"Saved as “{path.stem}”.")
        self.model_saved.emit(str(path))

    # state and closing -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.train_worker is not None

    def update_state(self) -> None:
        run_dir = self.run_dir()
        info = read_checkpoint_info(run_dir) if run_dir is not None else None
        ready = self.scan_worker is None and self.usable_count() >= MIN_IMAGES
        idle = not self.running
        self.start_button.setEnabled(idle and ready)
        self.resume_button.setEnabled(idle and info is not None)
        self.resume_button.setText(f"Resume (after epoch {info['epoch']})" if info else "Resume")
        self.save_button.setEnabled(idle and info is not None)
        self.stop_button.setEnabled(not idle)

    def confirm_stop(self) -> bool:
        """Ask before stopping a running training; stop it (keeping a checkpoint) if agreed."""
        if not self.running:
            return True
        if (
            not self.quiet
            and QMessageBox.question(
                self,
                "Stop training?",
                "Training is running. Stop it now? The last completed epoch is kept, and you can "
                "resume later from Model → Train….",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return False
        self.pool.stop()
        return True

    def closeEvent(self, event) -> None:
        if self.confirm_stop():
            self.pool.stop()
            super().closeEvent(event)
        else:
            event.ignore()


def validation_every(usable: int) -> int:
    """Hold out every n-th photo: every 20th of a large set, about a quarter of a small one."""
    return max(3, min(20, usable // 4))


def _spin(lo: int, hi: int, value: int, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin
