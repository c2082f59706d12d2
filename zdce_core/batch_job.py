"""A whole batch as both front ends run it: plan the inputs into output groups, run every
group through :func:`~zdce_core.batch.iter_batch`, and keep count, speed and ETA.

The CLI and the app call :func:`plan_job` and :func:`run_job`; they differ only in how they
show :class:`Progress` and the events.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from zdce_core.adjustments import Adjustments
from zdce_core.batch import iter_batch
from zdce_core.batch_events import BatchFinished, BatchSummary, ItemFinished, ItemStarted
from zdce_core.cancel import Cancel
from zdce_core.discovery import FoundFile, Ignored
from zdce_core.enhancer import Enhancer
from zdce_core.output_clashes import Renamed, give_distinct_outputs
from zdce_core.outputs import OutputOptions, PlanError, plan
from zdce_core.raw_io import WhiteBalance
from zdce_core.read_ahead import EarlyRead
from zdce_core.textbar import format_duration

Pairs = list[tuple[FoundFile, Path]]


@dataclass
class BatchJob:
    """Inputs paired with their outputs, grouped by output options (one folder each)."""

    groups: dict[OutputOptions, Pairs] = field(default_factory=dict)
    ignored: list[Ignored] = field(default_factory=list)
    """Inputs left out while planning (earlier results inside an output folder)."""
    renamed: list[Renamed] = field(default_factory=list)
    """Inputs whose output got a distinct name because another input's had the same."""

    @property
    def total(self) -> int:
        return sum(len(pairs) for pairs in self.groups.values())

    @property
    def first_folder(self) -> Path | None:
        return next(iter(self.groups)).folder if self.groups else None


def plan_job(
    files: Sequence[FoundFile], options_of: Callable[[FoundFile], OutputOptions]
) -> BatchJob:
    """Group ``files`` by their output options and pair each with its output path; inputs
    that would share an output file get distinct names
    (:func:`~zdce_core.output_clashes.give_distinct_outputs`, listed in ``renamed``).

    Raises :class:`~zdce_core.outputs.PlanError` (a file or unwritable output folder, an
    empty suffix into the input's folder, outputs no distinct name was found for); each
    output folder is checked once. Nothing is written.
    """
    grouped: dict[OutputOptions, list[FoundFile]] = {}
    for found in files:
        grouped.setdefault(options_of(found), []).append(found)
    planned: dict[OutputOptions, Pairs] = {}
    job = BatchJob()
    for opts, members in grouped.items():
        pairs, ignored = plan(members, opts)
        if pairs:
            planned[opts] = pairs
        job.ignored.extend(ignored)
    job.groups, job.renamed = give_distinct_outputs(planned)
    _check_no_output_replaces_an_input(job)
    return job


def _check_no_output_replaces_an_input(job: BatchJob) -> None:
    """Raise :class:`~zdce_core.outputs.PlanError` when a planned output is one of the
    planned inputs (e.g. ``a.jpg`` and ``a_enhanced.jpg`` both named, written beside the
    originals): no original is ever replaced, and this is found before any work."""
    pairs = [pair for group in job.groups.values() for pair in group]
    inputs = {found.path.resolve(): found.path for found, _ in pairs}
    clashes = [
        (found.path, inputs[out.resolve()]) for found, out in pairs if out.resolve() in inputs
    ]
    if clashes:
        listed = "; ".join(f"{source} -> {target}" for source, target in clashes)
        raise PlanError(
            f"an output would replace an input ({listed}): choose another suffix or output "
            "folder, or leave those inputs out"
        )


@dataclass
class Progress:
    """Where a running batch stands: items ended, megapixels done, speed and ETA.

    ``rate`` is megapixels per second of wall time since the start; the ETA assumes the
    remaining items take as long as the finished ones did on average.
    """

    total: int
    started: float = field(default_factory=time.perf_counter)
    ended: int = 0
    megapixels: float = 0.0

    def add(self, item: ItemFinished) -> None:
        self.ended += 1
        self.megapixels += item.megapixels

    @property
    def elapsed(self) -> float:
        return max(time.perf_counter() - self.started, 1e-6)

    @property
    def rate(self) -> float:
        return self.megapixels / self.elapsed

    @property
    def eta(self) -> float | None:
        """Seconds left, or ``None`` before the first item ended."""
        if not self.ended:
            return None
        return (self.total - self.ended) * self.elapsed / self.ended

    def text(self) -> str:
        """``"3 of 10 · 5.1 MP/s · ETA 0:12"``."""
        eta = self.eta
        left = "…" if eta is None else format_duration(eta)
        return f"{self.ended} of {self.total} · {self.rate:.1f} MP/s · ETA {left}"


BatchEventSink = Callable[[ItemStarted | ItemFinished, Progress], None]


def run_job(
    job: BatchJob,
    enhancer: Enhancer,
    adjustments: Adjustments | Callable[[Path], Adjustments],
    on_event: BatchEventSink,
    cancel: Cancel | None = None,
    white_balance: WhiteBalance = WhiteBalance.CAMERA,
    early: EarlyRead | None = None,
) -> BatchSummary:
    """Run every group of ``job``; ``on_event(event, progress)`` sees each item start and end.

    Returns the summary of the whole job (``cancelled`` when ``cancel()`` turned true).
    ``white_balance``: how camera RAW files are developed; ``early``: the decode of the
    job's first photo, already started (:mod:`zdce_core.read_ahead`).
    """
    progress = Progress(job.total)
    summary = BatchSummary(total=job.total)
    for opts, pairs in job.groups.items():
        events = iter_batch(pairs, enhancer, opts, adjustments, cancel, white_balance, early)
        for event in events:
            if isinstance(event, BatchFinished):
                summary.cancelled = event.summary.cancelled
                continue
            if isinstance(event, ItemFinished):
                summary.add(event)
                progress.add(event)
            on_event(event, progress)
        if summary.cancelled:
            break
    summary.seconds = progress.elapsed
    return summary
