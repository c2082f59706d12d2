"""Filling the queue: files and folders from dialogs and drops, searched in a worker."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QThread
from PySide6.QtWidgets import QMenu, QWidget

from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.denoise import reduced_input
from zdce_core.discovery import Ignored, IgnoreKind, discover
from zdce_core.enhancer import Enhancer
from zdce_core.errors import UserFacingError
from zdce_core.grain import MEASURE_LONG_SIDE
from zdce_core.image_io import READ_EXTENSIONS, read_image
from zdce_core.render_plan import plan_render
from zdce_gui.dialogs import Asker
from zdce_gui.main_layout import ElideAtEnd, MainLayout
from zdce_gui.queue_model import COLUMNS, QueueItem, QueueModel, ignored_item, item_for
from zdce_gui.session import Session
from zdce_gui.workers import Worker, WorkerPool


def auto_strength(enhancer: Enhancer, path: Path, adjustments: Adjustments) -> float:
    """The strength auto exposure chooses for the photo at ``path`` with the look of
    ``adjustments`` (target brightness, highlight protection, cast correction), from a
    decode at the scale the shadows' grain is measured at (a large JPEG at 1/2 or 1/4
    scale, as a preview decodes it: at 1/8 the grain is averaged away and a grainy photo
    was shown a stronger lift than the batch gives it): about 0.15-0.4 s on one core,
    against 0.5-1 s for a whole preview. The render plan decides it, as for the batch
    (denoising does not change it: left out). Raises what :func:`read_image` raises."""
    photo = read_image(path, at_least=MEASURE_LONG_SIDE)
    look = replace(adjustments, strength=None, denoise=Denoise.OFF)
    reduced = reduced_input(photo.pixels, photo.file_size) if look.scene_aware else None
    return plan_render(enhancer.estimate_downscaled(photo.pixels), look, reduced).strength


def aim(look: Adjustments) -> tuple[float, bool, bool]:
    """What an auto strength depends on besides the photo and the model."""
    return look.target_brightness, look.protect_highlights, look.correct_cast


class QueueController(QObject):
    """Adds, removes and clears rows of the :class:`QueueModel` (the window enables its
    actions and the preview follows from the model's own signals)."""

    def __init__(
        self, session: Session, ui: MainLayout, queue: QueueModel, asker: Asker, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.session, self.ui, self.queue, self.asker = session, ui, queue, asker
        self.pool = WorkerPool()
        self.estimates = WorkerPool()  # auto strengths, one photo after another
        queue.modelReset.connect(self.estimates.cancel_all)  # cleared
        # another model: other auto strengths
        session.model_changed.connect(lambda: self.estimate_strengths())
        self.estimated_look = self.batch_look()
        """The look the Strength column's estimates are for."""
        session.adjustments_changed.connect(self.look_changed)
        self.discovering = 0
        self.last_added = 0
        result_column = COLUMNS.index("Result")
        self.ui.table.setItemDelegateForColumn(result_column, ElideAtEnd(self.ui.table))
        self.ui.table.customContextMenuRequested.connect(self._context_menu)
        self.ui.table.selectionModel().selectionChanged.connect(self.show_skip_state)

    def add_paths(self, paths: list[Path]) -> Worker:
        """Queue files and folders (folders recursively when the box is ticked).

        Folders are searched in a worker thread (a large or network folder must not freeze
        the window); the rows appear when the search is done, in the order asked. What a
        folder holds that is not a photo (notes.txt, hidden files) is not queued: the status
        line says how many files were left out, its tooltip which and why.
        """
        recursive = self.ui.recursive_check.isChecked()

        def work(_report, _cancelled) -> tuple[list[QueueItem], list[Ignored]]:
            found, ignored = discover(paths, recursive=recursive)
            shown = [ignored_item(i) for i in ignored if i.named]  # asked for, or refused
            left_out = [i for i in ignored if not i.named and i.kind is not IgnoreKind.HIDDEN]
            return [item_for(f) for f in found] + shown, left_out

        self.discovering += 1
        self.ui.status_label.setText("Looking for photos…")
        return self.pool.start(
            work,
            result=self._discovered,
            error=lambda message: self.ui.status_label.setText(f"Could not add: {message}"),
            finished=self._discovery_done,
        )

    def queue_items(self, items: list[QueueItem]) -> None:
        self.last_added = self.queue.add(items)
        if self.last_added and not self.ui.table.currentIndex().isValid():
            self.ui.table.selectRow(0)
        self.ui.status_label.setText(f"{len(self.queue.items)} in the queue")

    def _discovered(self, result: tuple[list[QueueItem], list[Ignored]]) -> None:
        """Queue what the search found; say what it left out (not photos) and why."""
        items, left_out = result
        self.queue_items(items)
        self.estimate_strengths(self.queue.items[len(self.queue.items) - self.last_added :])
        label = self.ui.status_label
        label.setToolTip("\n".join(f"{i.path.name}: {i.reason}" for i in left_out))
        if left_out:
            files = "file" if len(left_out) == 1 else "files"
            queued = len(self.queue.items)
            label.setText(f"{queued} in the queue; left out {len(left_out)} {files}, not photos")

    def pools(self) -> list[WorkerPool]:
        return [self.pool, self.estimates]

    def estimate_strengths(self, items: list[QueueItem] | None = None) -> None:
        """Estimate the auto strength of ``items`` in a worker at the lowest priority, so
        that the Strength column says "auto 5.3" before a photo is previewed; ``None``:
        every queued photo again (another model was loaded: the estimates are stale)."""
        if items is None:
            self.estimates.cancel_all()
            for row, item in enumerate(self.queue.items):
                if item.auto_estimate is not None:
                    self.queue.update(row, auto_estimate=None)
            items = self.queue.items
        enhancer, look = self.session.enhancer, self.batch_look()
        self.estimated_look = look
        paths = [item.path for item in items if item.processable]
        if enhancer is None or not paths:
            return

        def work(report, cancelled) -> None:
            QThread.currentThread().setPriority(QThread.Priority.LowestPriority)
            for path in paths:
                if cancelled():
                    return
                try:
                    report((enhancer, look, path, auto_strength(enhancer, path, look)))
                except UserFacingError:
                    continue  # unreadable: its preview or the batch says why

        self.estimates.start(work, progress=self._estimated)

    def _estimated(self, result: tuple[Enhancer, Adjustments, Path, float]) -> None:
        enhancer, look, path, strength = result
        row = self.queue.row_of(path)
        # not a replaced model's, nor for a look no longer shown
        fresh = enhancer is self.session.enhancer and aim(look) == aim(self.estimated_look)
        if row >= 0 and fresh:
            self.queue.update(row, auto_estimate=strength)

    def batch_look(self) -> Adjustments:
        """What auto exposure aims at for a photo of the batch (the look the controls show)."""
        return self.session.look(None, self.session.settings.denoise)

    def look_changed(self) -> None:
        """Another target brightness or highlight protection (a preset, the controls): the
        Strength column's estimates are for the old one: estimate them again."""
        if aim(self.batch_look()) != aim(self.estimated_look):
            self.estimate_strengths()

    # browsing and culling ----------------------------------------------------------------
    def go_to(self, row: int) -> None:
        """Select ``row`` (clamped to the queue), scrolled into sight; the preview follows.
        The focus stays where it is (the preview keeps it while the user browses)."""
        count = len(self.queue.items)
        if not count:
            return
        row = min(max(row, 0), count - 1)
        table = self.ui.table
        table.selectRow(row)
        table.scrollTo(self.queue.index(row, 0))

    def go_by(self, step: int) -> None:
        """The previous (-1) or next (+1) photo of the queue."""
        self.go_to(self.ui.table.currentIndex().row() + step)

    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self.ui.table.selectionModel().selectedRows())

    def set_skipped(self, skip: bool) -> None:
        """Flag the selected photos "skip" (the batch leaves them out), or put them back."""
        if self.session.batch_running:
            self.show_skip_state()
            return
        for row in self.selected_rows():
            self.queue.update(row, user_skip=skip)
        self.show_skip_state()
        self.ui.status_label.setText(self.queue.count_text())

    def show_skip_state(self) -> None:
        """The Skip in Batch action is checked when every selected photo is flagged."""
        items = self.queue.items
        rows = [r for r in self.selected_rows() if r < len(items)]
        self.ui.skip_action.setChecked(bool(rows) and all(items[r].user_skip for r in rows))

    # syncing settings ----------------------------------------------------------------------
    def sync_targets(self) -> list[int]:
        """The selected rows other than the current one (the photo in the preview)."""
        current = self.ui.table.currentIndex().row()
        items = self.queue.items
        return [r for r in self.selected_rows() if r != current and r < len(items)]

    def show_sync_state(self) -> None:
        """Sync Settings to Selected works on 2+ selected photos, never during a batch."""
        rows = self.selected_rows()
        self.ui.sync_action.setEnabled(len(rows) >= 2 and not self.session.batch_running)

    def sync_settings(self) -> None:
        """Give the other selected photos the current photo's strength and denoise as their
        own (as darktable's and Lightroom's sync). A current photo on the batch's auto
        exposure passes on auto: the others follow the batch's strength (each its own auto)."""
        current = self.ui.table.currentIndex().row()
        queue = self.queue
        targets = self.sync_targets()
        if self.session.batch_running or not 0 <= current < len(queue.items) or not targets:
            return
        source = queue.items[current]
        batch = self.session.settings.strength
        strength = source.strength if source.strength is not None else batch
        denoise = source.denoise or self.ui.denoise_combo.currentData()
        for row in targets:
            queue.update(row, strength=strength, denoise=denoise, chosen=None)
        photos = "photo" if len(targets) == 1 else "photos"
        said = "auto" if strength is None else f"{strength:.1f}"
        self.ui.status_label.setText(
            f"{len(targets)} {photos} now use strength {said}, denoise {denoise.value}"
        )

    def _context_menu(self, at: QPoint) -> None:
        menu = QMenu(self.ui.table)
        menu.addAction(self.ui.skip_action)
        menu.addAction(self.ui.sync_action)
        menu.addAction(self.ui.remove_action)
        menu.popup(self.ui.table.viewport().mapToGlobal(at))

    def _discovery_done(self) -> None:
        self.discovering -= 1

    def ask_add_files(self) -> None:
        patterns = " ".join(f"*{e}" for e in sorted(READ_EXTENSIONS))
        paths = self.asker.open_paths(
            "Add photos",
            self.session.settings.input_dir,
            f"Images ({patterns} {patterns.upper()});;All files (*)",
        )
        if paths:
            self.session.settings.input_dir = paths[0].parent
            self.add_paths(paths)

    def ask_add_folder(self) -> None:
        folder = self.asker.folder("Add a folder of photos", self.session.settings.input_dir)
        if folder is not None:
            self.session.settings.input_dir = folder
            self.add_paths([folder])

    def remove_selected(self) -> None:
        if self.session.batch_running:
            return
        rows = [i.row() for i in self.ui.table.selectionModel().selectedRows()]
        self.queue.remove_rows(rows)

    def clear(self) -> None:
        if not self.session.batch_running:
            self.queue.clear()
            self.ui.progress.reset()  # no count of a batch whose rows are gone
