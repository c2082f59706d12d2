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
from functools import partial
from pathlib import Path

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments
from zdce_core.atomic import TargetExists, remove_stale_temporaries
from zdce_core.batch_events import (
    CAST_NOTE,
    SKIP_REASONS,
    BatchEvent,
    BatchFinished,
    BatchSummary,
    FailKind,
    ItemFinished,
    ItemStarted,
    ItemStatus,
    SkipKind,
)
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

SMALL_PHOTO = 2.0
"""Photos up to this many megapixels are processed each on one worker thread, several at
once; larger ones on every worker, one at a time (their memory, and the first result soon)."""
OVERLAPPED_PHOTO = 24.0
"""Photos up to this many megapixels (and over ``SMALL_PHOTO``) are checked and encoded while
the next one is analysed and rendered; larger ones alone (memory), and so is the first photo
of a batch: its result comes soonest (beside the next one it was 0.2 s later at 12 MP)."""


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
    processed several at once, one per worker thread; mid-sized ones (``OVERLAPPED_PHOTO``)
    are checked and encoded while the next one renders; larger ones alone. Events still
    come in the order of ``pairs``. No input is ever written to; outputs appear only
    complete (atomic rename), and none once the generator has ended or been closed.
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

    with (
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="zdce-read") as pool,
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="zdce-photo") as photos,
    ):
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
                        size = _megapixels(loads[index])
                        if size <= SMALL_PHOTO:  # on one worker, beside the next ones
                            pending.put(submit_whole(partial(work, load=loads.pop(index).result)))
                        elif size <= OVERLAPPED_PHOTO and index != todo[0]:  # the first: soon
                            # its encoding beside the next one
                            rendered = _Signal()
                            photo = photos.submit(
                                work,
                                load=lambda i=index: loads.pop(i).result(),
                                rendered=rendered.set,
                            )
                            photo.add_done_callback(lambda _f, r=rendered: r.set())
                            pending.put(photo)
                            # the photo before is reported once written, not once this renders
                            yield from _counted(pending.take_until(rendered.future), summary)
                            yield from _counted(pending.take(keep=1), summary)
                        else:  # on every worker, alone
                            yield from _counted(pending.take(), summary)
                            pending.put(work(load=lambda i=index: loads.pop(i).result()))
                    yield from _counted(pending.take(keep=window - 1), summary)
                yield from _counted(pending.take(), summary)
            except Cancelled:
                summary.cancelled = True
            # after a cancel: those written meanwhile
            yield from _counted(pending.settle(), summary)
        finally:
            closed.set()
            pending.wait()  # nothing is written once the batch has ended or been left
            for future in loads.values():
                future.cancel()
    summary.seconds = time.perf_counter() - start
    yield BatchFinished(summary)


class _Signal:
    """A one-time signal as a future (to wait for it beside other futures); setting it
    again does nothing."""

    def __init__(self) -> None:
        self.future: Future[object] = Future()
        self._lock = threading.Lock()

    def set(self) -> None:
        with self._lock:
            if not self.future.done():
                self.future.set_result(None)


def _counted(items: Iterator[ItemFinished], summary: BatchSummary) -> Iterator[ItemFinished]:
    """``items``, each added to ``summary`` as it is handed on."""
    for item in items:
        summary.add(item)
        yield item


def _megapixels(decode: Future[Loaded]) -> float:
    """The size of the photo ``decode`` brings (0 when it is unreadable)."""
    loaded = decode.result()
    return 0.0 if isinstance(loaded, ImageReadError) else loaded.megapixels


def _first_load(
    pool: ThreadPoolExecutor, early: EarlyRead | None, path: Path, white_balance: WhiteBalance
) -> Future[Loaded]:
    """The decode of the batch's first photo: the early one when it is of this photo, else
    one started now. (A function of its own: a name for the early decode in the batch's
    generator would hold the photo to the end of the batch.)"""
    taken = early.take(path, white_balance) if early is not None else None
    return taken if taken is not None else pool.submit(load, path, white_balance)


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
    rendered: Callable[[], None] = lambda: None,
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
        rendered()
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
