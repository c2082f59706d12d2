"""What a batch reports: an event as each photo starts and ends, and a summary at the end.

:func:`zdce_core.batch.iter_batch` yields :class:`ItemStarted`, :class:`ItemFinished` and,
last, :class:`BatchFinished`; every front end (the CLI, the app, hot folders, the cluster)
reads these, never the wording of a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path


class ItemStatus(Enum):
    """How one input ended."""

    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class SkipKind(Enum):
    """Why the batch skipped an input (its output is not replaced without overwrite)."""

    OUTPUT_EXISTS = "output exists"
    OUTPUT_APPEARED = "output appeared meanwhile"
    UNCHANGED = "needs no change"


class FailKind(Enum):
    """What went wrong with a failed input; the item's ``reason`` says it in words."""

    UNREADABLE = "unreadable"
    OVERWRITES_INPUT = "would overwrite an input"
    BROKEN_RESULT = "crushed by the model"
    UNWRITABLE = "cannot be written"
    OUT_OF_MEMORY = "out of memory"
    ERROR = "unexpected error"


@dataclass(frozen=True)
class ItemStarted:
    """Work on input ``index`` (0-based) of ``total`` began."""

    index: int
    total: int
    path: Path


@dataclass(frozen=True)
class ItemFinished:
    """An input ended with ``status``; ``skip`` or ``failure`` says why it was not done.

    ``reason`` says it in words for the user (or notes a compromise on a done item);
    ``megapixels`` and ``seconds`` are 0 for items that were not processed. ``strength``:
    the strength a done item was rendered at (``auto``: chosen by auto exposure). ``copied``:
    a done item left unchanged (strength 0) whose output is a byte-for-byte copy of the input
    (:data:`COPIED_NOTE`), not a re-encoding. ``cast_corrected``: a done item whose colour
    cast was partly corrected (its last note is :data:`CAST_NOTE`).
    """

    index: int
    total: int
    path: Path
    status: ItemStatus
    output: Path | None = None
    reason: str = ""
    megapixels: float = 0.0
    seconds: float = 0.0
    strength: float | None = None
    auto: bool = False
    skip: SkipKind | None = None
    failure: FailKind | None = None
    copied: bool = False
    cast_corrected: bool = False

    def notes(self, keep_cast: str) -> str:
        """``reason`` with how to keep a corrected cast as shot, in the front end's own
        terms (``keep_cast``: the option or the box that does it), after the cast note."""
        return f"{self.reason} ({keep_cast})" if self.cast_corrected else self.reason


CAST_NOTE = "strong colour cast of the light partly corrected"
"""The note of a done item whose colour cast was partly corrected (:mod:`zdce_core.cast`)."""

COPIED_NOTE = "unchanged: copied"
"""How a front end notes a done item whose output is a copy of its input (``copied``)."""


@dataclass
class BatchSummary:
    """Counts and failures of a finished (or cancelled) batch."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: bool = False
    megapixels: float = 0.0
    seconds: float = 0.0
    failures: list[tuple[Path, str]] = field(default_factory=list)
    skips: list[tuple[Path, str]] = field(default_factory=list)
    auto_strengths: list[float] = field(default_factory=list)
    """The strengths auto exposure chose for the done items."""

    @property
    def megapixels_per_second(self) -> float:
        return self.megapixels / self.seconds if self.seconds > 0 else 0.0

    def add(self, item: ItemFinished) -> None:
        if item.status is ItemStatus.DONE:
            self.done += 1
            self.megapixels += item.megapixels
            if item.auto and item.strength is not None:
                self.auto_strengths.append(item.strength)
        elif item.status is ItemStatus.SKIPPED:
            self.skipped += 1
            self.skips.append((item.path, item.reason))
        else:
            self.failed += 1
            self.failures.append((item.path, item.reason))


@dataclass(frozen=True)
class BatchFinished:
    """The last event of a batch."""

    summary: BatchSummary


BatchEvent = ItemStarted | ItemFinished | BatchFinished


SKIP_REASONS = {
    SkipKind.OUTPUT_EXISTS: "the output exists",
    SkipKind.OUTPUT_APPEARED: "the output appeared meanwhile",
    SkipKind.UNCHANGED: "needs no change (strength 0): not written, as asked",
}
"""Why an input was skipped, in neutral words: each front end adds how to replace the output
in its own terms (the CLI names ``--overwrite``, the app its Overwrite box), by
:attr:`ItemFinished.skip`, never by this text."""
