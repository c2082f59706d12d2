"""Running core work in threads and reporting back through Qt signals.

The signals live on a separate QObject (``WorkerSignals``) that belongs to the GUI thread, so
connected slots run there. Order is fixed: ``started``, any number of ``progress``, then
``result`` or ``error``, and always ``finished`` last. Cancelling is cooperative: the work
function receives the worker's :class:`~zdce_core.cancel.CancelToken` (a ``cancelled()``
callable) to check between steps, and returns what it has (a cancelled batch returns its
summary so far). Errors reach ``error`` as their message; one that is not a
:class:`~zdce_core.errors.UserFacingError` is a bug, and its traceback is printed too.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from zdce_core.cancel import CancelToken
from zdce_core.errors import UserFacingError

Work = Callable[[Callable[[Any], None], Callable[[], bool]], Any]
"""``work(report, cancelled) -> result``: ``report(obj)`` emits ``progress``."""


class WorkerSignals(QObject):
    started = Signal()
    progress = Signal(object)
    result = Signal(object)
    error = Signal(str)
    finished = Signal()


class Worker(QRunnable):
    """One piece of work for a ``QThreadPool``; keep a reference to read ``signals``."""

    def __init__(self, work: Work) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.work = work
        self.signals = WorkerSignals()
        self.token = CancelToken()
        self.done = threading.Event()

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def run(self) -> None:
        self.signals.started.emit()
        try:
            value = self.work(self.signals.progress.emit, self.token)
        except Exception as exc:  # every error reaches the user
            if not isinstance(exc, UserFacingError):
                traceback.print_exc()  # not one of the core's deliberate messages: a bug
            self.signals.error.emit(str(exc) or type(exc).__name__)
        else:
            self.signals.result.emit(value)
        finally:
            self.done.set()
            self.signals.finished.emit()


class WorkerPool:
    """A thread pool that remembers its workers so they can all be stopped on quit.

    Once shut down it runs nothing more: a slot of a finished worker delivered after the stop
    (a render asking for the next one) must not start work while the app shuts down (the
    core's thread pools are gone at interpreter exit)."""

    def __init__(self, threads: int = 1) -> None:
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(threads)
        self.workers: list[Worker] = []
        self.stopped = False

    def start(self, work: Work, **slots: Callable[..., Any]) -> Worker:
        """Run ``work``; ``slots`` connect signals by name (``progress=…``, ``result=…``).
        After :meth:`shutdown` the worker returned is cancelled and never runs (no signal)."""
        worker = Worker(work)
        if self.stopped:
            worker.cancel()
            return worker
        for name, slot in slots.items():
            getattr(worker.signals, name).connect(slot)
        worker.signals.finished.connect(lambda w=worker: self._forget(w))
        self.workers.append(worker)
        self.pool.start(worker)
        return worker

    def _forget(self, worker: Worker) -> None:
        if worker in self.workers:
            self.workers.remove(worker)

    def cancel_all(self) -> None:
        for worker in list(self.workers):
            worker.cancel()

    def stop(self, timeout_ms: int = 30_000) -> bool:
        """Cancel every worker and wait for the threads; True when all stopped in time."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """:meth:`stop`, and start nothing from now on (the app is quitting)."""
        self.stopped = True
        return self.stop(timeout_ms)
