"""The batch runner: enhance many photos, report progress, never harm an original.

``iter_batch`` is a generator of small event dataclasses; it checks a cancel callable between
images and (through the enhancer) between strips of one image. A failure in one file is
reported with the file, its kind and the reason, and the batch goes on.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from collections.abc import Set as AbstractSet
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from functools import partial
from pathlib import Path

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments
from zdce_core.atomic import TargetExists, remove_stale_temporaries
from zdce_core.cancel import Cancelled
from zdce_core.discovery import FoundFile
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import ImageReadError
from zdce_core.image_write import ImageWriteError, fit_long_edge, needs_resizing, write_image
from zdce_core.in_order import InOrder
from zdce_core.outputs import (
    OutputOptions,
    Unchanged,
    can_copy_unchanged,
    copy_unchanged,
    output_format,
)
from zdce_core.parallel import compute_threads, submit_whole
from zdce_core.pipeline import BrokenResult, check_result, enhance_photo
from zdce_core.raw_io import WhiteBalance
from zdce_core.read_ahead import EarlyRead, Loaded, load


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

SMALL_PHOTO = 2.0
"""Photos up to this many megapixels are processed each on one worker thread, several at
once; larger ones on every worker, one at a time (their memory, and the first result soon)."""


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


def iter_batch(
    pairs: Sequence[tuple[FoundFile, Path]],
    enhancer: Enhancer,
    opts: OutputOptions,
    adjustments: Adjustments | Callable[[Path], Adjustments] = DEFAULT_ADJUSTMENTS,
    cancel: Callable[[], bool] | None = None,
    white_balance: WhiteBalance = WhiteBalance.CAMERA,
    early: EarlyRead | None = None,
) -> Iterator[BatchEvent]:
    """Enhance each ``(input, output path)`` pair; yields events, ending with ``BatchFinished``.

    ``adjustments``: one set for all, or a function of the input path (per-image overrides).
    ``white_balance``: how camera RAW files are developed. ``early``: the first photo's
    decode, already started (:func:`~zdce_core.read_ahead.start_reading`; ignored unless
    it is the first photo to process).
    Existing outputs are skipped unless ``opts.overwrite``, also those that appear while the
    batch runs. Stale temporary files of an earlier, killed run are removed from the output
    folders first. The next input is decoded in a
    background thread while the current one renders. Small photos (``SMALL_PHOTO``) are
    processed several at once, one per worker thread; events still come in the order of
    ``pairs``. No input is ever written to; outputs appear only complete (atomic rename),
    and none once the generator has ended or been closed.
    """
    should_stop = cancel or (lambda: False)
    adjust_of = adjustments if callable(adjustments) else (lambda _p, a=adjustments: a)
    summary = BatchSummary(total=len(pairs))
    for folder in {out.parent for _, out in pairs}:
        remove_stale_temporaries(folder)  # left by a run that was killed outright
    inputs = {found.path.resolve() for found, _ in pairs}
    start = time.perf_counter()
    todo = [i for i, (_, out) in enumerate(pairs) if opts.overwrite or not out.exists()]
    pending: InOrder[ItemFinished] = InOrder()
    window = 2 * compute_threads()  # slack for a worker the system has descheduled
    closed = threading.Event()  # the consumer left early: photos in flight stop at a strip

    def stop() -> bool:
        return closed.is_set() or should_stop()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="zdce-read") as pool:
        loads: dict[int, Future[Loaded]] = {}
        if todo:
            loads[todo[0]] = _first_load(pool, early, pairs[todo[0]][0].path, white_balance)
        try:
            try:
                for index, (found, out) in enumerate(pairs):
                    if should_stop():
                        summary.cancelled = True
                        break
                    yield ItemStarted(index, len(pairs), found.path)
                    if index not in loads:
                        pending.put(_skipped(index, len(pairs), found, out, SkipKind.OUTPUT_EXISTS))
                    else:
                        following = next((i for i in todo if i > index), None)
                        if following is not None:
                            loads[following] = pool.submit(
                                load, pairs[following][0].path, white_balance
                            )
                        work = partial(
                            _process,
                            index,
                            len(pairs),
                            found,
                            out,
                            enhancer=enhancer,
                            opts=opts,
                            adjustments=adjust_of(found.path),
                            should_stop=stop,
                            inputs=inputs,
                        )
                        if _is_small(loads[index]):  # on one worker, beside the next ones
                            pending.put(submit_whole(partial(work, load=loads.pop(index).result)))
                        else:  # on every worker, alone
                            for item in pending.take():
                                summary.add(item)
                                yield item
                            pending.put(work(load=lambda i=index: loads.pop(i).result()))
                    for item in pending.take(keep=window - 1):
                        summary.add(item)
                        yield item
                for item in pending.take():
                    summary.add(item)
                    yield item
            except Cancelled:
                summary.cancelled = True
            for item in pending.settle():  # after a cancel: those written meanwhile
                summary.add(item)
                yield item
        finally:
            closed.set()
            pending.wait()  # nothing is written once the batch has ended or been left
            for future in loads.values():
                future.cancel()
    summary.seconds = time.perf_counter() - start
    yield BatchFinished(summary)


def _is_small(decode: Future[Loaded]) -> bool:
    """Whether the photo ``decode`` brings is processed on one worker beside others (up to
    ``SMALL_PHOTO`` megapixels, or unreadable) instead of on every worker alone."""
    loaded = decode.result()
    return isinstance(loaded, ImageReadError) or loaded.megapixels <= SMALL_PHOTO


def _first_load(
    pool: ThreadPoolExecutor, early: EarlyRead | None, path: Path, white_balance: WhiteBalance
) -> Future[Loaded]:
    """The decode of the batch's first photo: the early one when it is of this photo, else
    one started now. (A function of its own: a name for the early decode in the batch's
    generator would hold the photo to the end of the batch.)"""
    taken = early.take(path, white_balance) if early is not None else None
    return taken if taken is not None else pool.submit(load, path, white_balance)


SKIP_REASONS = {
    SkipKind.OUTPUT_EXISTS: "the output exists",
    SkipKind.OUTPUT_APPEARED: "the output appeared meanwhile",
    SkipKind.UNCHANGED: "needs no change (strength 0): not written, as asked",
}
"""Why an input was skipped, in neutral words: each front end adds how to replace the output
in its own terms (the CLI names ``--overwrite``, the app its Overwrite box), by
:attr:`ItemFinished.skip`, never by this text."""


def _skipped(index: int, total: int, found: FoundFile, out: Path, kind: SkipKind) -> ItemFinished:
    return ItemFinished(
        index, total, found.path, ItemStatus.SKIPPED, out, SKIP_REASONS[kind], skip=kind
    )


def process_one(
    found: FoundFile,
    out: Path,
    enhancer: Enhancer,
    opts: OutputOptions,
    adjustments: Adjustments,
    inputs: frozenset[Path] = frozenset(),
    white_balance: WhiteBalance = WhiteBalance.CAMERA,
    index: int = 0,
    total: int = 1,
) -> ItemFinished:
    """One photo as the batch does it (skip an existing output unless ``opts.overwrite``,
    read, enhance, check, write atomically), for front ends that schedule photos themselves
    (:mod:`zdce_core.cluster`). ``inputs``: resolved paths of every input of the job, which
    no output may replace. Failures become a failed item; raises only :class:`Cancelled`."""
    if not opts.overwrite and out.exists():
        return _skipped(index, total, found, out, SkipKind.OUTPUT_EXISTS)
    return _process(
        index,
        total,
        found,
        out,
        lambda: load(found.path, white_balance),
        enhancer,
        opts,
        adjustments,
        lambda: False,
        inputs,
    )


def _process(
    index: int,
    total: int,
    found: FoundFile,
    out: Path,
    load: Callable[[], Loaded],
    enhancer: Enhancer,
    opts: OutputOptions,
    adjustments: Adjustments,
    should_stop: Callable[[], bool],
    inputs: AbstractSet[Path],
) -> ItemFinished:
    """Read (``load()``: already in flight in the batch), enhance and write one photo;
    failures become an item."""
    t0 = time.perf_counter()

    def failed(kind: FailKind, reason: str) -> ItemFinished:
        seconds = time.perf_counter() - t0
        return ItemFinished(
            index, total, found.path, ItemStatus.FAILED, None, reason, 0.0, seconds, failure=kind
        )

    if out.resolve() in inputs or (out.exists() and os.path.samefile(out, found.path)):
        return failed(FailKind.OVERWRITES_INPUT, f"the output {out} would overwrite an input")
    # Only this frame holds the decoded photo, so its pixels can be freed before encoding.
    loaded = load()
    if isinstance(loaded, ImageReadError):
        return failed(FailKind.UNREADABLE, str(loaded))
    megapixels = loaded.megapixels
    notes = list(loaded.problems)
    try:
        result = enhance_photo(enhancer, loaded.pixels, adjustments, should_stop)
        if result.strength == 0 and opts.unchanged is Unchanged.SKIP:
            return _skipped(index, total, found, out, SkipKind.UNCHANGED)
        copied = (
            result.strength == 0
            and can_copy_unchanged(found.path, opts)
            and not needs_resizing(loaded.height, loaded.width, opts.long_edge)
        )
        if copied:
            del loaded
            out.parent.mkdir(parents=True, exist_ok=True)
            copy_unchanged(found.path, out, replace=opts.overwrite)
        else:
            check_result(loaded.pixels, result.pixels)
            if result.cast is not None:
                notes.append(CAST_NOTE)
            output = loaded.with_pixels(result.pixels)
            del loaded  # the input's pixels are not needed to encode (174 MP: 2.07 -> 1.94 GB)
            output = fit_long_edge(output, opts.long_edge)  # after enhancing, never up
            out.parent.mkdir(parents=True, exist_ok=True)
            write_image(
                out,
                output,
                output_format(found.path, opts),
                opts.quality,
                opts.keep_metadata,
                replace=opts.overwrite,
            )
    except Cancelled:
        raise
    except ImageReadError as exc:  # the input, read again to be copied
        return failed(FailKind.UNREADABLE, str(exc))
    except TargetExists:
        return _skipped(index, total, found, out, SkipKind.OUTPUT_APPEARED)
    except BrokenResult as exc:
        return failed(FailKind.BROKEN_RESULT, str(exc))
    except ImageWriteError as exc:
        return failed(FailKind.UNWRITABLE, str(exc))
    except PermissionError:
        reason = f"cannot create the folder {out.parent}: permission denied"
        return failed(FailKind.UNWRITABLE, reason)
    except MemoryError:
        reason = f"not enough memory for a {megapixels:.0f}-megapixel image"
        return failed(FailKind.OUT_OF_MEMORY, reason)
    except OSError as exc:  # e.g. a read-only file system, a full disk
        return failed(FailKind.UNWRITABLE, f"cannot write to {out.parent}: {exc.strerror or exc}")
    except (RuntimeError, ValueError) as exc:
        return failed(FailKind.ERROR, f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    return ItemFinished(
        index,
        total,
        found.path,
        ItemStatus.DONE,
        out,
        "; ".join(notes),
        megapixels,
        seconds,
        result.strength,
        result.auto,
        copied=copied,
        cast_corrected=result.cast is not None and not copied,
    )
