"""CPU parallelism that holds up on a busy machine: our own worker threads, one torch thread each.

Torch's intra-op threads (OpenMP) meet at a barrier after every operation, and a thread the
OS has descheduled (another program is running) stalls all of them for a time slice: on a
2-core laptop with another busy program, a 12 MP photo took from 2 s to 40 s. So rendering
works on independent pieces (strips of rows, bands of the estimation copy) handed to
``compute_threads()`` worker threads, each running torch with one intra-op thread; a piece
waits for nobody, so a descheduled worker delays only its own piece. Torch releases the GIL
inside its operations, so the workers run in parallel.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import TypeVar, cast

import torch

from zdce_core.memory import keep_freed_memory

T = TypeVar("T")
R = TypeVar("R")
A = TypeVar("A")
B = TypeVar("B")

_lock = threading.Lock()
_pool: ThreadPoolExecutor | None = None
_workers = 0
_inside = threading.local()


def _mark_worker() -> None:
    _inside.worker = True


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def set_compute_threads(count: int = 0) -> int:
    """Use ``count`` worker threads (0: one per available core) for rendering, and one torch
    intra-op thread; returns the count. Also keeps freed memory for reuse
    (:func:`~zdce_core.memory.keep_freed_memory`). Call before work starts (CLI, app start)."""
    global _pool, _workers
    keep_freed_memory()
    count = count if count > 0 else available_cores()
    with _lock:
        if count != _workers:
            if _pool is not None:
                _pool.shutdown(wait=False)
            _pool = ThreadPoolExecutor(
                max_workers=count, thread_name_prefix="zdce-compute", initializer=_mark_worker
            )
            _workers = count
    torch.set_num_threads(1)
    return count


def compute_threads() -> int:
    """The number of worker threads (set up on first use)."""
    return _workers or set_compute_threads()


def run_pieces(work: Callable[[T], R], pieces: Sequence[T]) -> list[R]:
    """``[work(p) for p in pieces]``, spread over the worker threads.

    Runs inline when there is one piece or one worker, or when called from a worker (a
    piece that has pieces of its own). The first exception raised by a piece (e.g.
    ``Cancelled``) is re-raised here once the running pieces have stopped; pieces not yet
    started are skipped.
    """
    if len(pieces) <= 1 or compute_threads() <= 1 or getattr(_inside, "worker", False):
        return [work(p) for p in pieces]
    assert _pool is not None
    stop = threading.Event()

    def guarded(piece: T) -> R | None:
        if stop.is_set():
            return None
        try:
            return work(piece)
        except BaseException:
            stop.set()
            raise

    futures = [_pool.submit(guarded, p) for p in pieces]
    wait(futures, return_when=FIRST_EXCEPTION)
    if stop.is_set():
        wait(futures)
        raise next(f.exception() for f in futures if f.exception() is not None)  # type: ignore[misc]
    return [f.result() for f in futures]  # type: ignore[misc]


def submit_whole(work: Callable[[], R]) -> Future[R]:
    """Run ``work`` on one worker thread, its own pieces inline (:func:`run_pieces` from a
    worker): for many small jobs (small photos), one per core keeps the cores busier than
    splitting each into pieces (64 photos of 0.37 MP: 42 → 32 ms per photo)."""
    compute_threads()
    assert _pool is not None
    return _pool.submit(work)


def run_pair(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """``(first(), second())``, each on a worker thread when there are two (as two pieces of
    :func:`run_pieces`)."""
    a, b = run_pieces(lambda task: task(), [first, second])
    return cast(A, a), cast(B, b)


def split_rows(height: int, step: int) -> list[tuple[int, int]]:
    """Row ranges ``[r0, r1)`` of at most ``step`` rows covering ``height`` rows."""
    return [(r0, min(height, r0 + step)) for r0 in range(0, height, step)]


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """Torch intra-op threads set to ``count`` inside the block (training's large
    convolutions with gradients), restored after."""
    compute_threads()  # set the workers up first: doing so later would reset torch to 1
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)
