"""The queue of images: items, their status, and a Qt table model showing them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from zdce_core.adjustments import Denoise, strength_label
from zdce_core.batch_events import ItemStatus
from zdce_core.discovery import FoundFile, Ignored

Index = QModelIndex | QPersistentModelIndex
DISPLAY = Qt.ItemDataRole.DisplayRole
_NO_PARENT = QModelIndex()


class RowState(Enum):
    """Where a queued photo stands; the value is what the Status column shows."""

    QUEUED = "queued"
    WORKING = "working"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def of(cls, status: ItemStatus) -> RowState:
        return cls(status.value)


COLUMNS = ("Name", "Status", "Strength", "Size", "Result")
"""``Status`` is one short word (always readable); ``Result`` is the output's name, or why
there is none (failed, skipped), cut at its end when narrow; the tooltip has it all."""
_STATUS_COLOURS = {
    RowState.DONE: "#2e7d32",
    RowState.FAILED: "#c62828",
    RowState.SKIPPED: "#9e9e9e",
    RowState.CANCELLED: "#9e9e9e",
}
_USER_SKIP_COLOUR = "#9e9e9e"
USER_SKIP_WORD = "skip"
"""What the Status column reads for a photo the user flagged to leave out of the batch."""


def human_size(n: int) -> str:
    """``2.4 MB``-style size (powers of 1000, as file managers show)."""
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"


@dataclass
class QueueItem:
    """One queued path. ``processable``: false for paths discovery left out (hidden, not
    an image, a FIFO…); ``strength`` and ``denoise``: per-image overrides (``None`` = the
    batch's); ``chosen``: the strength its preview or its output was last rendered at and whether
    auto exposure chose it (``None`` until then); ``auto_estimate``: the strength auto
    exposure will choose, estimated in the background for the model in use."""

    found: FoundFile
    size_bytes: int
    status: RowState = RowState.QUEUED
    reason: str = ""
    output: Path | None = None
    strength: float | None = None
    chosen: tuple[float, bool] | None = None
    processable: bool = True
    auto_estimate: float | None = None
    user_skip: bool = False
    denoise: Denoise | None = None

    @property
    def path(self) -> Path:
        return self.found.path

    @property
    def own_settings(self) -> bool:
        """The photo has a strength or a denoise of its own (not the batch's)."""
        return self.strength is not None or self.denoise is not None


def _own_text(item: QueueItem) -> str:
    """The tooltip's line on a photo's own settings (none: empty)."""
    own = [f"strength {item.strength:.1f}"] if item.strength is not None else []
    own += [f"denoise {item.denoise.value}"] if item.denoise is not None else []
    return f"\nits own settings: {', '.join(own)}" if own else ""


def item_for(found: FoundFile) -> QueueItem:
    try:
        size = found.path.stat().st_size
    except OSError:
        size = 0
    return QueueItem(found, size)


def ignored_item(ignored: Ignored) -> QueueItem:
    """A queue row for a path that will not be processed (hidden, not an image, …)."""
    found = FoundFile(ignored.path, None)
    item = item_for(found)
    item.status, item.reason, item.processable = RowState.SKIPPED, ignored.reason, False
    return item


class QueueModel(QAbstractTableModel):
    """Rows are :class:`QueueItem`; the GUI thread is the only writer."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[QueueItem] = []

    batch_strength: float | None = None
    """The batch strength (``None``: auto exposure), shown for a row without its own."""

    def rowCount(self, parent: Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: Index = _NO_PARENT) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ):
        if not index.isValid():
            return None
        item = self.items[index.row()]
        column = COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "Name":
                return str(item.found.relative)
            if column == "Size":
                return human_size(item.size_bytes)
            if column == "Strength":
                if item.strength is not None:
                    return f"{item.strength:.1f} (own)"
                if item.chosen is not None:
                    return strength_label(*item.chosen)
                if self.batch_strength is not None:
                    return f"{self.batch_strength:.1f}"
                estimate = item.auto_estimate
                return "auto" if estimate is None else strength_label(estimate, True)
            if column == "Status":
                return USER_SKIP_WORD if item.user_skip else item.status.value
            if column == "Result":
                return item.output.name if item.output else item.reason
        if role == Qt.ItemDataRole.ToolTipRole:
            reason = f": {item.reason}" if item.reason else ""
            output = f"\n→ {item.output}" if item.output else ""
            skip = "\nskipped by you: the batch leaves it out (S puts it back)"
            return f"{item.path}\n{item.status.value}{reason}{output}{_own_text(item)}" + (
                skip if item.user_skip else ""
            )
        if role == Qt.ItemDataRole.ForegroundRole and item.user_skip:
            return QBrush(QColor(_USER_SKIP_COLOUR))  # the whole row greyed
        if role == Qt.ItemDataRole.ForegroundRole and column in ("Status", "Result"):
            colour = _STATUS_COLOURS.get(item.status)
            return QBrush(QColor(colour)) if colour else None
        return None

    def add(self, items: list[QueueItem]) -> int:
        """Append items whose path is not queued yet; returns how many were added."""
        known = {i.path for i in self.items}
        new = [i for i in items if i.path not in known]
        if new:
            start = len(self.items)
            self.beginInsertRows(QModelIndex(), start, start + len(new) - 1)
            self.items.extend(new)
            self.endInsertRows()
        return len(new)

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            self.beginRemoveRows(QModelIndex(), row, row)
            del self.items[row]
            self.endRemoveRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.items.clear()
        self.endResetModel()

    def count_text(self) -> str:
        """``3 to convert, 1 skipped by you``: what a batch started now would convert."""
        items = [i for i in self.items if i.processable]
        skipped = sum(i.user_skip for i in items)
        text = f"{len(items) - skipped} to convert"
        return f"{text}, {skipped} skipped by you" if skipped else text

    def row_of(self, path: Path) -> int:
        return next((i for i, item in enumerate(self.items) if item.path == path), -1)

    def update(self, row: int, **changes: object) -> None:
        item = self.items[row]
        for key, value in changes.items():
            setattr(item, key, value)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
