"""File → Watch Folder…: a hot folder in the app. Photos arriving in the watched folder join
the queue and are converted as they come, by the core's :class:`~zdce_core.hot_folder.HotFolder`
(the same settling, per-photo step and exactly-once record as ``zdce watch``) in a worker
thread; the window says that the watch is on and how many photos arrived."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QWidget

from zdce_core.adjustments import Adjustments
from zdce_core.batch import process_one
from zdce_core.batch_events import ItemFinished, ItemStatus
from zdce_core.discovery import FoundFile
from zdce_core.enhancer import Enhancer
from zdce_core.errors import UserFacingError
from zdce_core.hot_folder import HotFolder
from zdce_core.outputs import (
    FolderRule,
    OutputOptions,
    PlanError,
    check_output_folder,
    sibling_output_folder,
)
from zdce_core.watch import DEFAULT_SETTLE_S, output_folder_problem
from zdce_gui.dialogs import Asker
from zdce_gui.main_layout import KEEP_CAST, MainLayout
from zdce_gui.output_box import folder_rule, read_output
from zdce_gui.queue_model import QueueModel, RowState, item_for
from zdce_gui.session import LoadState, Session
from zdce_gui.workers import Worker, WorkerPool

WAKE_S = 0.5
"""How often the waiting worker looks whether it was asked to stop (it sleeps otherwise)."""
BESIDE_REFUSED = (
    "A watch writes its photos into another folder: under Save to, choose a folder beside "
    "the photos' folder or a chosen folder."
)


def shown_path(path: Path) -> str:
    """``~/Incoming`` for a folder in the home folder, the whole path otherwise."""
    home = Path.home()
    return f"~/{path.relative_to(home).as_posix()}" if home in path.parents else str(path)


@dataclass(frozen=True)
class WatchPlan:
    """What to watch and how: read from the window in the GUI thread, used in the worker."""

    folder: Path
    opts: OutputOptions
    """The output box's options; their folder is the chosen one (used with CHOSEN)."""
    rule: FolderRule
    recursive: bool
    existing: bool
    """Also take the photos already there (a resumed watch: those that came meanwhile)."""


@dataclass(frozen=True)
class Watching:
    """The watch is on: ``folder``'s photos go to ``output``; ``how``: events or polling."""

    folder: Path
    output: Path
    how: str


@dataclass(frozen=True)
class Taking:
    """A settled photo, new or with new content, is about to be converted."""

    found: FoundFile


class WatchError(UserFacingError):
    """The folder cannot be watched (gone, or its outputs cannot go where asked)."""


def output_folder(plan: WatchPlan, watched: Path) -> Path:
    """Where ``plan``'s results go (resolved), checked: not what is watched, writable.
    Touches the disk: in the worker."""
    if plan.rule is FolderRule.SIBLING:
        folder = sibling_output_folder(FoundFile(watched / "_", watched))
    else:
        folder = plan.opts.folder.expanduser()
    folder = folder.resolve()
    problem = output_folder_problem(watched, folder, plan.recursive)
    if problem:
        raise WatchError(problem)
    check_output_folder(folder)
    return folder


def run_watch(
    plan: WatchPlan,
    enhancer: Enhancer,
    adjustments: Adjustments,
    settle_s: float,
    report,
    cancelled,
) -> None:
    """Watch until ``cancelled()``: report :class:`Watching`, then for each photo taken a
    :class:`Taking` and its :class:`ItemFinished`. A stop asked while a photo is converted
    lets it finish (its output whole)."""
    watched = plan.folder.expanduser().resolve()
    if not watched.is_dir():
        raise WatchError(f"{watched} is not a folder (any more)")
    out = output_folder(plan, watched)
    hot = HotFolder(watched, replace(plan.opts, folder=out), plan.recursive, settle_s)

    def process(found: FoundFile, target: Path, opts: OutputOptions) -> ItemFinished:
        report(Taking(found))
        inputs = frozenset({found.path.resolve()})
        return process_one(found, target, enhancer, opts, adjustments, inputs)

    try:
        how = hot.start()
        if plan.existing:
            hot.add_existing()
        report(Watching(watched, out, how))
        while not cancelled():
            for path in hot.wait(timeout=WAKE_S):
                if cancelled():
                    break
                _verdict, item = hot.handle(path, process)
                if item is not None:
                    report(item)
    finally:
        hot.stop()


class WatchDialog(QDialog):
    """Asks whether to watch ``folder``, telling where its photos go; the user may tick
    "Resume this watch when the app starts"."""

    def __init__(self, parent: QWidget, folder: Path, output: str, recursive: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle("Watch a folder")
        form = QFormLayout(self)
        form.addRow("Watch", QLabel(f"<b>{shown_path(folder)}</b>"))
        form.addRow("Converted photos go to", QLabel(output))
        subfolders = "watched too" if recursive else "not watched (tick Include subfolders)"
        form.addRow("Subfolders", QLabel(subfolders))
        form.addRow(QLabel("Photos arriving are converted with the current settings, once each."))
        self.resume_check = QCheckBox("Resume this watch when the app starts")
        form.addRow(self.resume_check)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Start Watching")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)


class WatchController(QObject):
    """One watched folder at a time: start (File → Watch Folder…), follow, stop.

    ``photos_arrived(items)``: photos to queue (the window has the queue controller add
    them, at once)."""

    photos_arrived = Signal(list)

    def __init__(
        self, session: Session, ui: MainLayout, queue: QueueModel, asker: Asker, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.session, self.ui, self.queue, self.asker = session, ui, queue, asker
        self.parent_widget = parent
        """Where the watch dialog opens."""
        self.pool = WorkerPool()
        self.worker: Worker | None = None
        self.dialog: WatchDialog | None = None
        self.folder: Path | None = None
        """The watched folder once the watch is on."""
        self.arrived = 0
        self.settle_s = DEFAULT_SETTLE_S

    @property
    def running(self) -> bool:
        return self.worker is not None

    def ask(self) -> None:
        """File → Watch Folder…: choose the folder, then confirm in :class:`WatchDialog`."""
        if self.running:
            return
        folder = self.asker.folder("Watch a folder", self.session.settings.input_dir)
        if folder is None:
            return
        rule = folder_rule(self.ui)
        if rule is FolderRule.BESIDE:
            self.asker.warn("Cannot watch the folder", BESIDE_REFUSED)
            return
        chosen = self.ui.folder_edit.text().strip()
        if rule is FolderRule.CHOSEN and not chosen:
            self.asker.warn("Cannot watch the folder", "Choose the output folder (Browse…).")
            return
        output = (
            f"{folder.name}-enhanced, beside it"
            if rule is FolderRule.SIBLING
            else shown_path(Path(chosen).expanduser())
        )
        recursive = self.ui.recursive_check.isChecked()
        self.dialog = WatchDialog(self.parent_widget, folder, output, recursive)
        dialog = self.dialog
        dialog.accepted.connect(lambda: self.start(folder, dialog.resume_check.isChecked()))
        dialog.open()

    def resume(self) -> None:
        """At start-up: watch again the folder the user asked to resume, once the model
        has loaded (photos that arrived meanwhile are taken too, each once)."""
        folder = self.session.settings.watch_folder
        if folder is None or self.running:
            return
        if self.session.model_state is LoadState.LOADING:
            self.session.model_changed.connect(self.resume, Qt.ConnectionType.SingleShotConnection)
            return
        self.start(folder, resume=True, existing=True)

    def start(self, folder: Path, resume: bool, existing: bool = False) -> None:
        """Watch ``folder`` with the output box's settings; ``resume``: again at the next
        start of the app."""
        enhancer = self.session.enhancer
        if self.running:
            return
        if enhancer is None:
            reason = self.session.model_error or "No model loaded."
            self.asker.warn(f"Cannot watch {folder}", reason)
            return
        model = self.ui.model_combo.currentData()
        chosen = Path(self.ui.folder_edit.text().strip())
        try:
            opts = read_output(self.ui, chosen, Path(model).stem if model else "")
        except PlanError as exc:
            self.asker.warn(f"Cannot watch {folder}", str(exc))
            return
        rule, recursive = folder_rule(self.ui), self.ui.recursive_check.isChecked()
        plan = WatchPlan(folder, opts, rule, recursive, existing)
        adjustments, settle_s = self.session.batch_adjustments(), self.settle_s
        self.session.settings.watch_folder = folder if resume else None
        self.folder, self.arrived = folder, 0
        self.worker = self.pool.start(
            lambda report, cancelled: run_watch(
                plan, enhancer, adjustments, settle_s, report, cancelled
            ),
            progress=self._progress,
            error=self._error,
            finished=self._finished,
        )
        self._show(f"Starting to watch {shown_path(folder)}…")

    def stop(self) -> None:
        """File → Stop Watching, or a click on the indicator: the photo in hand finishes;
        the watch is not resumed at the next start."""
        if self.worker is None:
            return
        self.session.settings.watch_folder = None
        self.worker.cancel()
        self.ui.watch_button.setText("Stopping the watch…")

    def pools(self) -> list[WorkerPool]:
        return [self.pool]

    def _show(self, text: str) -> None:
        button = self.ui.watch_button
        button.setText(text)
        button.setVisible(self.running)
        self.ui.watch_action.setEnabled(not self.running)
        self.ui.stop_watch_action.setEnabled(self.running)

    def _indicator(self) -> str:
        assert self.folder is not None
        photos = "photo" if self.arrived == 1 else "photos"
        return f"● Watching {shown_path(self.folder)} — {self.arrived} {photos} arrived"

    def _progress(self, event: Watching | Taking | ItemFinished) -> None:
        queue = self.queue
        if isinstance(event, Watching):
            self.folder = event.folder
            self._show(self._indicator())
            self.ui.status_label.setText(
                f"Watching {shown_path(event.folder)} → {shown_path(event.output)} ({event.how})"
            )
            return
        if isinstance(event, Taking):
            self.arrived += 1
            self._show(self._indicator())
            self.photos_arrived.emit([item_for(event.found)])
            row = queue.row_of(event.found.path)
            queue.update(row, status=RowState.WORKING, reason="", output=None)
            return
        row = queue.row_of(event.path)
        if row >= 0:
            output = event.output if event.status is ItemStatus.DONE else None
            reason = event.notes(KEEP_CAST)
            queue.update(row, status=RowState.of(event.status), reason=reason, output=output)
            if event.strength is not None:  # the Strength column says what auto chose
                queue.update(row, chosen=(event.strength, event.auto))

    def _error(self, message: str) -> None:
        self.session.settings.watch_folder = None
        self.asker.warn("The watch stopped", message)

    def _finished(self) -> None:
        self.worker = None
        folder = self.folder
        self._show("")
        if folder is not None:
            photos = "photo" if self.arrived == 1 else "photos"
            self.ui.status_label.setText(
                f"Stopped watching {shown_path(folder)} ({self.arrived} {photos} arrived)"
            )
