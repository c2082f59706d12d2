"""The model and device the app enhances with: choosing, importing, managing, training."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QWidget

from zdce_core.device import describe_devices
from zdce_core.enhancer import Enhancer
from zdce_core.errors import UserFacingError
from zdce_core.model_names import printable
from zdce_core.model_store import import_model, list_models, user_models_dir
from zdce_core.weights import WeightsError, load_model
from zdce_gui.dialogs import Asker
from zdce_gui.main_layout import MainLayout
from zdce_gui.model_manager import ModelManager
from zdce_gui.queue_model import QueueModel
from zdce_gui.session import LoadState, Session
from zdce_gui.training_dialog import TrainingDialog
from zdce_gui.workers import Worker, WorkerPool

NO_MODEL = "No model installed: import one with Model → Import Model…"
LOADING = "Loading model…"


@dataclass(frozen=True)
class Loaded:
    """What a load worker hands back: the enhancer, or why there is none."""

    load: int
    """Which :meth:`ModelController.reload` asked for it (only the newest is used)."""
    path: Path
    device: str
    enhancer: Enhancer | None
    error: str = ""


def load_enhancer(path: Path, device: str) -> Enhancer:
    """Read, check and build the model at ``path`` on ``device`` (in a worker: it reads the
    file and moves the network to the device)."""
    try:
        return Enhancer(load_model(path), device)
    except WeightsError:
        raise
    except ValueError as exc:  # an unavailable device
        raise UserFacingError(str(exc)) from exc


class ModelController(QObject):
    """Loads the chosen model into the session (its enhancer ``None`` with the error saying
    why, or while the chosen model loads in a worker: its state is then ``LOADING``).

    ``models_changed``: a model was imported, saved by training, renamed or deleted (an open
    Model → Manage… lists the models again); ``model_moved`` (old path, new path or ``None``):
    Model → Manage… renamed or deleted one."""

    models_changed = Signal()
    model_moved = Signal(Path, object)

    def __init__(
        self, session: Session, ui: MainLayout, queue: QueueModel, asker: Asker, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.session, self.ui, self.queue, self.asker = session, ui, queue, asker
        self.parent_widget = parent
        """Where the manager and the training dialog open."""
        self.pool = WorkerPool()
        self.in_use: tuple[Path, str] | None = None
        """The model file and device of ``enhancer`` when one was loaded (to fall back to)."""
        self.previous: Enhancer | None = None
        self.load_worker: Worker | None = None
        self.loads = 0
        """How many loads were asked for (numbers each load)."""
        self.status_before = ""
        """What the status said before "Loading model…" (said again once it has loaded)."""
        self.training_dialog: TrainingDialog | None = None
        self.manager: ModelManager | None = None
        self.ui.device_combo.addItem("Auto", "auto")
        for spec, name in describe_devices():
            self.ui.device_combo.addItem(name, spec)
        self.ui.model_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.ui.device_combo.currentIndexChanged.connect(lambda _i: self.reload())

    @property
    def enhancer(self) -> Enhancer | None:
        return self.session.enhancer

    @property
    def state(self) -> LoadState:
        return self.session.model_state

    @property
    def error(self) -> str:
        return self.session.model_error

    def pools(self) -> list[WorkerPool]:
        pools = [self.pool]
        if self.manager is not None:
            pools.append(self.manager.pool)
        if self.training_dialog is not None:
            pools.append(self.training_dialog.pool)
        return pools

    def choose_device(self, spec: str) -> None:
        combo = self.ui.device_combo
        combo.blockSignals(True)
        combo.setCurrentIndex(max(combo.findData(spec), 0))
        combo.blockSignals(False)

    def refresh(self, select: Path | None = None) -> None:
        """List the models again, keeping (or choosing) ``select`` or the current one, and
        load it."""
        self._list(select)
        self.reload()

    def _list(self, select: Path | None) -> None:
        """Fill the model selector, choosing ``select`` or the current one (else the first).

        Files that are not usable models (a named pipe, a broken header: see
        :meth:`~zdce_core.model_store.ModelEntry.info`, which never opens a non-regular file)
        are left out; Model → Manage… lists them with the reason."""
        combo = self.ui.model_combo
        current = select or combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        for entry in list_models():
            if entry.info().readable:
                combo.addItem(entry.label, str(entry.path))
        current = None if current is None else str(current)
        if current is not None and not Path(current).is_file():
            current = None  # renamed or deleted meanwhile (or not a regular file)
        if current is not None and combo.findData(current) < 0:
            combo.addItem(printable(Path(current).name), current)
        index = combo.findData(current) if current is not None else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    def reload(self) -> None:
        """Load the chosen model on the chosen device in a worker. Until it arrives there is
        no enhancer: previews wait, Start is disabled and the status says "Loading model…".
        A newer choice made meanwhile wins (the older load's result is dropped); a load that
        fails says why in one message and the model in use before stays in use."""
        if self.load_worker is not None:
            self.load_worker.cancel()
            self.load_worker = None
        if self.ui.status_label.text() != LOADING:  # not our own text from an older load
            self.status_before = self.ui.status_label.text()
        if self.enhancer is not None:
            self.previous = self.enhancer
        path = self.ui.model_combo.currentData()
        device = self.ui.device_combo.currentData() or "auto"
        if path is None:
            self.ui.status_label.setText(self.status_before)
            self._use(None, LoadState.UNUSABLE, NO_MODEL)
            return
        model = Path(path)
        self.ui.status_label.setText(LOADING)
        self._use(None, LoadState.LOADING, LOADING)
        self.loads += 1
        load = self.loads

        def work(_report, _cancelled) -> Loaded:
            try:
                return Loaded(load, model, device, load_enhancer(model, device))
            except UserFacingError as exc:
                return Loaded(load, model, device, None, str(exc))

        # bound methods, not closures: each result reaches this controller
        self.load_worker = self.pool.start(work, result=self.load_done, error=self.load_crashed)

    def load_done(self, result: Loaded) -> None:
        """A load ended; an older one (a newer choice replaced it) is dropped."""
        if result.load != self.loads or self.load_worker is None:
            return
        self.load_worker = None
        if result.enhancer is None:
            self.failed(result.path, result.error)
        else:
            self.loaded(result.path, result.device, result.enhancer)

    def load_crashed(self, message: str) -> None:
        """A load raised what no load should (a bug, its traceback printed): the newest
        load, if one is still running, is the one that failed."""
        if self.load_worker is not None and self.load_worker.done.is_set():
            self.load_worker = None
            self.failed(Path(self.ui.model_combo.currentData()), message)

    def loaded(self, path: Path, device: str, enhancer: Enhancer) -> None:
        self.in_use, self.previous = (path, device), None
        self.session.settings.model, self.session.settings.device = path, device
        self.ui.status_label.setText(self.status_before)
        self._use(enhancer, LoadState.READY, "")

    def failed(self, path: Path, message: str) -> None:
        """Say why ``path`` cannot be used (one line; the whole reason under Details) and go
        back to the model in use before, when there was one and it is still listed."""
        first_line = message.splitlines()[0] if message else "unknown error"
        details = message if message != first_line else ""
        fallback, in_use = self.previous, self.in_use
        combo = self.ui.model_combo
        if fallback is None or in_use is None or combo.findData(str(in_use[0])) < 0:
            self.ui.status_label.setText(self.status_before)
            self._use(None, LoadState.UNUSABLE, first_line)  # the preview says why
            return
        combo.blockSignals(True)
        combo.setCurrentIndex(combo.findData(str(in_use[0])))
        combo.blockSignals(False)
        self.choose_device(in_use[1])
        self.previous = None
        self.ui.status_label.setText(
            f"Could not load {printable(path.name)}; still using {combo.currentText()}."
        )
        self._use(fallback, LoadState.READY, "")
        self.asker.warn("Cannot load model", first_line, details)

    def _use(self, enhancer: Enhancer | None, state: LoadState, error: str) -> None:
        """Enhance with ``enhancer`` from now on: the session's ``model_changed`` has the
        previews and auto strengths made with another model dropped and made again."""
        self.session.set_model(enhancer, state, error)

    def ask_import(self) -> None:
        paths = self.asker.open_paths(
            "Import a model", self.session.settings.model_dir, "Models (*.safetensors *.pth *.pt)"
        )
        if paths:
            self.import_file(paths[0])

    def import_file(self, path: Path) -> None:
        """Check and copy ``path`` into the user model folder in a worker, then select it."""
        self.session.settings.model_dir = path.parent
        self.ui.status_label.setText(f"Importing {path.name}…")
        self.pool.start(
            lambda _r, _c: import_model(path),
            result=self.imported,
            error=lambda message: self.asker.warn("Cannot import model", message),
        )

    def imported(self, target: Path) -> None:
        self.ui.status_label.setText(f"Imported {target.stem}.")
        self.refresh(select=target)
        self.models_changed.emit()

    def saved(self) -> None:
        """Training wrote a model: list it here and in an open manager."""
        self.refresh()
        self.models_changed.emit()

    def managed(self, old: Path, new: Path | None) -> None:
        """The manager renamed ``old`` to ``new`` or deleted it (``new`` is ``None``). The
        model in use keeps being used under its new name (nothing to load again: the same
        weights); when it is deleted, the first model is used instead, and the status says so."""
        current = self.ui.model_combo.currentData()
        in_use = current is not None and Path(current).resolve() == old.resolve()
        if in_use and new is not None:
            self._list(select=new)
            self.session.settings.model = new
            if self.in_use is not None and self.in_use[0].resolve() == old.resolve():
                self.in_use = (new, self.in_use[1])
        else:
            self._list(None)
            if in_use:
                now = self.ui.model_combo.currentText() or "no model"
                self.ui.status_label.setText(
                    f"Deleted {printable(old.stem)}, the model in use; now using {now}."
                )
            self.reload()
        self.model_moved.emit(old, new)
        self.models_changed.emit()

    def open_manager(self) -> ModelManager:
        """Show Model → Manage… (one per window, listing the models again)."""
        manager = self.manager
        if manager is None:
            manager = self.manager = ModelManager(self.parent_widget, self.asker)
            manager.models_changed.connect(self.managed)
            self.models_changed.connect(lambda: manager.refresh())
        else:
            manager.refresh()
        manager.show()
        manager.raise_()
        return manager

    def open_training(self) -> TrainingDialog:
        """Show the training dialog (one per window; it keeps running when hidden)."""
        paths = [item.path for item in self.queue.items if item.processable]
        if self.training_dialog is None:
            dialog = TrainingDialog(self.parent_widget, queue_paths=paths, asker=self.asker)
            dialog.model_saved.connect(lambda _p: self.saved())
            dialog.use_model.connect(lambda p: self.refresh(select=Path(p)))
            self.training_dialog = dialog
        else:
            self.training_dialog.photos.set_queue_paths(paths)
        self.training_dialog.show()
        self.training_dialog.raise_()
        return self.training_dialog

    def open_models_folder(self) -> None:
        folder = user_models_dir()
        folder.mkdir(parents=True, exist_ok=True)
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.asker.warn(
                "Cannot open the models folder",
                f"No file manager is set up to open folders. Your models are in:\n{folder}",
            )
