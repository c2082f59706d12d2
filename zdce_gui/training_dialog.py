"""Model → Train…: fine-tune a model on the user's own dark photos, watching it learn.

The settings start from the core's presets (:mod:`zdce_core.training_config`), the same as
``zdce train``; training, reading runs, discarding and saving them run in worker threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from zdce_core.textbar import format_duration
from zdce_core.training import Trainer, export_checkpoint
from zdce_core.training_check import ModelRefused, Refusal, enhance_with
from zdce_core.training_claim import claim_run
from zdce_core.training_config import (
    MIN_IMAGES,
    EpochDone,
    RunStatus,
    StepProgress,
    TrainResult,
    TrainWarning,
)
from zdce_core.training_runs import RunInfo, list_runs, read_run_info, run_dir_for
from zdce_gui.compare_view import CompareView, ViewMode
from zdce_gui.dialogs import Asker
from zdce_gui.loss_chart import LOSS_NAMES, LossChart
from zdce_gui.qimage import to_qimage
from zdce_gui.screen_fit import size_within_screen
from zdce_gui.training_photos import TrainingPhotos
from zdce_gui.training_questions import (
    REFUSED_TITLE,
    StartChoice,
    ask_save_refused,
    ask_start,
    refusal_text,
)
from zdce_gui.training_settings import TrainingSettings
from zdce_gui.workers import Worker, WorkerPool


@dataclass(frozen=True)
class SamplePreview:
    """The sample photo enhanced with the weights after ``epoch``."""

    epoch: int
    pixels: np.ndarray


class TrainingDialog(QDialog):
    """Choose photos and settings, train in a worker thread, save a named model.

    ``model_saved(path)``: a model file was written (the main window lists it);
    ``use_model(path)``: the user asked to enhance with it.
    """

    model_saved = Signal(str)
    use_model = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        queue_paths: list[Path] | None = None,
        asker: Asker | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a model on your photos")
        self.asker = asker or Asker(self)
        self.pool = WorkerPool(threads=2)  # training, and photo checks beside it
        self.train_worker: Worker | None = None
        self.runs: dict[str, RunInfo] = {}  # read in a worker when the dialog opens
        self.saved: dict[str, int] = {}  # run name → epochs saved as a model
        self.last_result: TrainResult | None = None
        self.reached = (0, 1)  # (epochs completed and kept, epochs) of the latest run
        self.last_model: Path | None = None
        self.photos = TrainingPhotos(self.pool, self.asker, queue_paths or [])
        self.photos.changed.connect(self.update_state)
        self.photos.sample_changed.connect(self._sample_ready)
        self._build()
        self.pool.start(lambda _r, _c: list_runs(), result=self._runs_read)
        self.update_state()

    # construction --------------------------------------------------------------------------
    def _build(self) -> None:
        self.settings = TrainingSettings()
        self.settings.changed.connect(self.update_state)
        self.progress = QProgressBar()
        self.status = QLabel("Not started.")
        self.status.setWordWrap(True)
        self.chart = LossChart()
        self.sample_view = CompareView()
        self.sample_view.set_mode(ViewMode.SIDE_BY_SIDE)
        self.sample_view.set_message("The sample photo, before and after each epoch")
        watch = QSplitter(Qt.Orientation.Vertical)
        watch.addWidget(self.chart)
        watch.addWidget(self.sample_view)
        self.start_button = QPushButton("Start")
        self.resume_button = QPushButton("Resume")
        self.stop_button = QPushButton("Stop")
        self.save_button = QPushButton("Save Model")
        self.use_button = QPushButton("Use This Model")
        self.use_button.setToolTip("Enhance with the model this run saved")
        close = QPushButton("Close")
        self.start_button.clicked.connect(lambda _c=False: self.start(resume=False))
        self.resume_button.clicked.connect(lambda _c=False: self.start(resume=True))
        self.stop_button.clicked.connect(lambda _c=False: self.stop())
        self.save_button.clicked.connect(lambda _c=False: self.save_stopped_run())
        self.use_button.clicked.connect(lambda _c=False: self._use_last_model())
        close.clicked.connect(lambda _c=False: self.close())
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        for b in (
            self.start_button,
            self.resume_button,
            self.stop_button,
            self.save_button,
            self.use_button,
            close,
        ):
            bottom.addWidget(b)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.addWidget(self.photos)
        ll.addWidget(self.settings)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.addWidget(self.status)
        rl.addWidget(watch, 1)
        scroll = QScrollArea()  # photos and settings scroll on a short (768 px) screen
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(left.minimumSizeHint().width())
        split = QSplitter()
        split.addWidget(scroll)
        split.addWidget(right)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(bottom)
        size_within_screen(self, 1200, 800)

    # runs on disk ------------------------------------------------------------------------------
    def _runs_read(self, runs: list[RunInfo]) -> None:
        self.runs = {info.name: info for info in runs}
        unfinished = [info for info in runs if info.unfinished]
        if unfinished and not self.running:
            self.offer_resume(unfinished[0])
        self.update_state()

    def offer_resume(self, info: RunInfo) -> None:
        """Prefill the most recent unfinished run, so that Resume is one click away."""
        self.settings.name_edit.setText(info.name)
        self.settings.epochs_spin.setValue(info.epochs)
        self.photos.set_sources([Path(p) for p in info.config["data"]])
        self.status.setText(
            f"“{info.name}” stopped after epoch {info.epoch} of {info.epochs}: Resume continues it."
        )
        self._chart_history(info.history)

    def _reread_run(self, name: str) -> None:
        def done(info: RunInfo | None) -> None:
            if info is None:
                self.runs.pop(name, None)
            else:
                self.runs[name] = info
            self.update_state()

        self.pool.start(lambda _r, _c: read_run_info(run_dir_for(name)), result=done)

    # training --------------------------------------------------------------------------------
    def run_name(self) -> str | None:
        return self.settings.run_name()

    def start(self, resume: bool) -> None:
        if self.running:
            return
        try:
            config = self.settings.config(self.photos.sources())
            config.validate()
        except ValueError as exc:
            self.asker.warn("Cannot start", str(exc))
            return
        earlier = self.runs.get(config.name)
        replace = False
        if not resume:
            choice = ask_start(self.asker, config, earlier)
            if choice is StartChoice.CANCEL:
                return
            resume, replace = choice is StartChoice.RESUME, choice is StartChoice.REPLACE
        run_dir = run_dir_for(config.name)
        self.chart.clear()
        if resume and earlier is not None:
            self._chart_history(earlier.history)
        self.saved.pop(config.name, None)
        self.last_model, self.last_result = None, None
        self.reached = (earlier.epoch if resume and earlier else 0, config.epochs)

        def work(report, cancelled):
            with claim_run(config, run_dir, resume=resume, replace=replace):  # locked
                trainer = Trainer(config, run_dir=run_dir, resume=resume)

                def on_progress(p):
                    report(p)
                    sample = self.photos.sample  # the photo chosen now, even mid-run
                    if isinstance(p, EpochDone) and sample is not None:
                        report(SamplePreview(p.epoch, enhance_with(trainer.net, sample)))

                try:
                    return trainer.run(on_progress, cancelled)
                except ModelRefused as exc:  # told in the dialog's words, not the CLI's
                    return exc.refusal

        self.progress.setRange(0, 0)
        self.status.setText("Starting…")
        self.train_worker = self.pool.start(
            work,
            progress=self._progress,
            result=self._finished,
            error=self._failed,
            finished=lambda name=config.name: self._worker_done(name),
        )
        self.update_state()

    def _chart_history(self, history: list[dict]) -> None:
        for record in history:
            self._chart_epoch(record["epoch"], record["train"], record["val"])

    def _chart_epoch(self, epoch: int, train: dict, val: dict | None) -> None:
        for key in LOSS_NAMES:
            self.chart.add(key, epoch, train[key])
            if val:
                self.chart.add(f"val {key}", epoch, val[key])

    def _progress(self, p: object) -> None:
        if isinstance(p, StepProgress):
            self.progress.setRange(0, p.epochs * p.steps)
            self.progress.setValue((p.epoch - 1) * p.steps + p.step)
            self.status.setText(
                f"Epoch {p.epoch} of {p.epochs}, step {p.step} of {p.steps} · "
                f"{p.images_per_second:.1f} photos/s · ETA {format_duration(p.eta_seconds)} · "
                f"loss {p.losses.total:.4f}"
            )
            self.chart.add("step", p.epoch - 1 + p.step / p.steps, p.losses.total)
        elif isinstance(p, EpochDone):
            self.reached = (p.epoch, p.epochs)
            self._chart_epoch(p.epoch, vars(p.train), vars(p.val) if p.val else None)
        elif isinstance(p, SamplePreview):
            self.sample_view.set_after(to_qimage(p.pixels))
            self.sample_view.set_message(f"After epoch {p.epoch}")
        elif isinstance(p, TrainWarning):
            self.photos.warning_label.setText(p.message)

    def _finished(self, result: TrainResult | Refusal) -> None:
        if isinstance(result, Refusal):
            self.status.setText(
                f"{refusal_text(result)} Save Model saves it anyway, after a question."
            )
            self.asker.warn(REFUSED_TITLE, refusal_text(result))
            return
        self.last_result = result
        name = result.run_dir.name
        if result.status is RunStatus.FINISHED and result.model_path is not None:
            self.saved[name] = result.epochs_done
            self.last_model = result.model_path
            self.status.setText(
                f"Done: saved as “{result.model_path.stem}” ({result.epochs_done} epochs). "
                "Use This Model enhances with it."
            )
            self.model_saved.emit(str(result.model_path))
        else:
            self.status.setText(
                f"Stopped. {result.epochs_done} epoch(s) completed and kept: "
                "Save Model keeps them, Resume continues."
            )

    def _failed(self, message: str) -> None:
        self.status.setText(f"Training stopped: {message}")
        self.asker.warn("Training stopped", message)

    def _worker_done(self, name: str) -> None:
        self.train_worker = None
        done, epochs = self.reached  # the epochs completed and kept, stopped or not
        self.progress.setRange(0, epochs)
        self.progress.setValue(done)
        self._reread_run(name)
        self.update_state()

    def stop(self) -> None:
        if self.train_worker is not None:
            self.train_worker.cancel()
            self.status.setText("Stopping after the current step…")

    def save_stopped_run(self) -> None:
        name = self.run_name()
        info = self.runs.get(name) if name else None
        if info is None or self.running:
            return
        self.save_button.setEnabled(False)
        self.status.setText("Checking the model on the darkest photos before saving it…")
        self._export(info, check=True)

    def _export(self, info: RunInfo, check: bool) -> None:
        """Save ``info``'s run as a model in a worker; with ``check``, one that fails the
        check is saved only if the user agrees, asked with the reason."""

        def work(_report, _cancelled) -> Path | Refusal:
            try:
                return export_checkpoint(info.run_dir, check=check)
            except ModelRefused as exc:
                return exc.refusal

        def done(outcome: Path | Refusal) -> None:
            if isinstance(outcome, Refusal):
                if ask_save_refused(self.asker, outcome):
                    self._export(info, check=False)
                else:
                    self.status.setText(refusal_text(outcome))
                    self.update_state()
                return
            self.saved[info.name] = info.epoch
            self.last_model = outcome
            self.status.setText(f"Saved as “{outcome.stem}” ({info.epoch} epochs).")
            self.model_saved.emit(str(outcome))
            self.update_state()

        self.pool.start(
            work,
            result=done,
            error=lambda message: (self.asker.warn("Cannot save", message), self.update_state()),
        )

    def _use_last_model(self) -> None:
        if self.last_model is not None:
            self.use_model.emit(str(self.last_model))

    # state and closing -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.train_worker is not None

    def _sample_ready(self, pixels: np.ndarray) -> None:
        self.sample_view.set_images(to_qimage(pixels), None)

    def update_state(self) -> None:
        """Enable what can be done now, from what is known in memory (no disk access)."""
        name = self.run_name()
        info = self.runs.get(name) if name else None
        ready = not self.photos.scanning and self.photos.usable_count() >= MIN_IMAGES
        idle = not self.running
        self.start_button.setEnabled(idle and ready and name is not None)
        resumable = info is not None and info.epoch < self.settings.epochs_spin.value()
        self.resume_button.setEnabled(idle and resumable)
        self.resume_button.setText(
            f"Resume (after epoch {info.epoch})" if info and resumable else "Resume"
        )
        unsaved = info is not None and self.saved.get(info.name) != info.epoch
        self.save_button.setEnabled(idle and unsaved and info is not None and info.epoch > 0)
        self.use_button.setEnabled(idle and self.last_model is not None)
        self.stop_button.setEnabled(not idle)

    def confirm_stop(self) -> bool:
        """Ask before stopping a running training; stop it (keeping a checkpoint) if agreed."""
        if not self.running:
            return True
        if not self.asker.confirm(
            "Stop training?",
            "Training is running. Stop it now? The last completed epoch is kept, and you can "
            "resume later from Model → Train….",
        ):
            return False
        self.pool.stop()
        return True

    def closeEvent(self, event) -> None:
        if self.confirm_stop():
            super().closeEvent(event)
        else:
            event.ignore()
