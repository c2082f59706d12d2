"""Converting the queue: planning outputs, running the batch in a worker, showing progress."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMainWindow

from zdce_core.adjustments import Adjustments
from zdce_core.batch_events import (
    COPIED_NOTE,
    BatchSummary,
    ItemFinished,
    ItemStarted,
    ItemStatus,
    SkipKind,
)
from zdce_core.batch_job import BatchJob, plan_job, run_job
from zdce_core.discovery import FoundFile
from zdce_core.outputs import FolderRule, OutputOptions, PlanError, options_for
from zdce_core.textbar import format_duration
from zdce_gui.batch_notice import BatchNotice
from zdce_gui.dialogs import Asker
from zdce_gui.main_layout import KEEP_CAST, MainLayout
from zdce_gui.output_box import folder_rule, read_output
from zdce_gui.queue_model import QueueItem, QueueModel, RowState
from zdce_gui.session import Session
from zdce_gui.workers import Worker, WorkerPool


class BatchController(QObject):
    """Start, follow and cancel one batch at a time (the session says whether one runs)."""

    def __init__(
        self,
        session: Session,
        ui: MainLayout,
        queue: QueueModel,
        asker: Asker,
        window: QMainWindow,
    ) -> None:
        super().__init__(window)
        self.session, self.ui, self.queue, self.asker = session, ui, queue, asker
        self.pool = WorkerPool()
        self.worker: Worker | None = None
        self.last_output: Path | None = None
        self.last_summary: BatchSummary | None = None
        self.finished_items = 0
        self.total_items = 0
        """How many photos of the (last) batch are finished, and how many it has."""
        self.renamed: dict[Path, str] = {}
        """Notes of the rows whose output got a distinct name (a clash with another row's)."""
        self.notice = BatchNotice(window)

    @property
    def running(self) -> bool:
        return self.worker is not None

    def plan(self) -> BatchJob:
        """Processable queued rows the user did not flag "skip", grouped by their output
        options (one folder each), as the output box says: a refused name template or a
        chosen folder left empty raises :class:`PlanError` in one line."""
        rule = folder_rule(self.ui)
        chosen = self.ui.folder_edit.text().strip()
        if rule is FolderRule.CHOSEN and not chosen:
            raise PlanError("Choose the output folder (Browse…), or another place to save to.")
        model = self.ui.model_combo.currentData()
        base = read_output(self.ui, Path(chosen).expanduser(), Path(model).stem if model else "")
        wanted = [i for i in self.queue.items if i.processable and not i.user_skip]
        strengths = {i.found.path: self.adjustments_of(i).strength for i in wanted}

        def options_of(found: FoundFile) -> OutputOptions:
            strength = strengths[found.path]
            label = "auto" if strength is None else f"{strength:.1f}"
            return options_for(found, replace(base, strength=label), rule)

        return plan_job([i.found for i in wanted], options_of)

    def adjustments_of(self, item: QueueItem | None) -> Adjustments:
        """A photo's strength and denoise where it has its own, the batch's otherwise
        (``None``: the batch's)."""
        settings = self.session.settings
        strength = settings.strength if item is None or item.strength is None else item.strength
        denoise = settings.denoise if item is None or item.denoise is None else item.denoise
        return self.session.look(strength, denoise)

    def start(self) -> None:
        enhancer = self.session.enhancer
        if self.running or enhancer is None:
            return
        try:
            job = self.plan()
        except PlanError as exc:
            self.asker.warn("Cannot start", str(exc))
            return
        if not job.total:
            self.ui.status_label.setText(f"Nothing to convert: {self.queue.count_text()}.")
            return
        queue = self.queue
        self.renamed = {r.path: r.note for r in job.renamed}
        for pairs in job.groups.values():
            for found, _out in pairs:
                row, reason = queue.row_of(found.path), self.renamed.get(found.path, "")
                queue.update(row, status=RowState.QUEUED, reason=reason, output=None)
        own = {i.path: self.adjustments_of(i) for i in queue.items if i.own_settings}
        default = self.adjustments_of(None)
        self.ui.progress.setRange(0, job.total)
        self.finished_items, self.total_items = 0, job.total
        self.ui.progress.setValue(0)
        self.last_output = job.first_folder
        self.notice.started(job.total, [options.folder for options in job.groups])

        def work(report, cancelled):
            return run_job(
                job,
                enhancer,
                lambda p: own.get(p, default),
                lambda event, progress: report((event, progress.text())),
                cancelled,
            )

        self.worker = self.pool.start(
            work, progress=self.progress, result=self.done, error=self.error, finished=self.finished
        )
        self.ui.status_label.setText(f"Converting… {self.queue.count_text()}")
        self.session.set_batch_running(True)

    def progress(self, update: tuple[ItemStarted | ItemFinished, str]) -> None:
        event, text = update
        queue = self.queue
        row = queue.row_of(event.path)
        if row < 0:
            return
        if isinstance(event, ItemStarted):
            queue.update(row, status=RowState.WORKING, reason="")
            return
        output = event.output if event.status is ItemStatus.DONE else None
        said = event.notes(KEEP_CAST)
        if event.skip in (SkipKind.OUTPUT_EXISTS, SkipKind.OUTPUT_APPEARED):
            said = f"{said} (tick Overwrite to replace it)"
        if event.copied:
            said = "; ".join(r for r in (said, COPIED_NOTE) if r)
        reason = "; ".join(r for r in (said, self.renamed.get(event.path, "")) if r)
        queue.update(row, status=RowState.of(event.status), reason=reason, output=output)
        if event.strength is not None:
            queue.update(row, chosen=(event.strength, event.auto))
        self.finished_items += 1
        self.ui.progress.setValue(self.ui.progress.value() + 1)
        self.notice.progressed(self.finished_items, self.total_items)
        self.ui.status_label.setText(text)

    def _unfinished_rows_cancelled(self) -> None:
        """Rows still shown as in progress when the batch ended: it stopped before them
        (several small photos are in progress at once)."""
        queue = self.queue
        for row, item in enumerate(queue.items):
            if item.status is RowState.WORKING:
                queue.update(row, status=RowState.CANCELLED, reason="")

    def done(self, summary: BatchSummary) -> None:
        self.last_summary = summary
        self._unfinished_rows_cancelled()
        verb = "Cancelled" if summary.cancelled else "Finished"
        text = (
            f"{verb}: {summary.done} converted, {summary.skipped} skipped, "
            f"{summary.failed} failed in {format_duration(summary.seconds)}"
        )
        self.ui.status_label.setText(text)
        self.notice.ended(summary)
        if summary.failed:
            details = "\n".join(f"{p}: {r}" for p, r in summary.failures)
            self.asker.warn("Some photos failed", text, details)

    def error(self, message: str) -> None:
        self._unfinished_rows_cancelled()
        self.ui.status_label.setText(f"The conversion stopped: {message}")
        self.asker.warn("Conversion stopped", message)

    def finished(self) -> None:
        self.worker = None
        self.notice.restore()
        self.session.set_batch_running(False)

    def cancel(self) -> None:
        if self.worker is not None:
            self.worker.cancel()
            self.ui.status_label.setText("Cancelling after the current strip…")

    def open_output_folder(self) -> None:
        folder = self.last_output
        if folder is None:
            return
        if not folder.is_dir():
            self.asker.warn("Cannot open the output folder", f"{folder} does not exist (yet).")
        elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            self.asker.warn(
                "Cannot open the output folder",
                f"No file manager is set up to open folders. The outputs are in:\n{folder}",
            )
