"""Results of work started in order, handed back in that order.

The batch processes small photos several at once, one per worker thread
(:func:`zdce_core.parallel.submit_whole`), and reports them in the order of the queue:
:class:`InOrder` holds the pending results, each a :class:`~concurrent.futures.Future` or a
value already known (a skipped photo), and gives them back oldest first.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future
from concurrent.futures import wait as futures_wait
from typing import Any, Generic, TypeVar

from zdce_core.cancel import Cancelled

R = TypeVar("R")


class InOrder(Generic[R]):
    """A queue of pending results, oldest first."""

    def __init__(self) -> None:
        self._pending: deque[Future[R]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def put(self, result: Future[R] | R) -> None:
        """Queue a result: a future, or a value already known."""
        if not isinstance(result, Future):
            done: Future[R] = Future()
            done.set_result(result)
            result = done
        self._pending.append(result)

    def take(self, keep: int = 0) -> Iterator[R]:
        """The oldest results, waiting for each, until at most ``keep`` are pending. A
        result's exception (e.g. :class:`~zdce_core.cancel.Cancelled`) is raised here, that
        result dropped."""
        while len(self._pending) > keep:
            yield self._pending.popleft().result()

    def take_until(self, until: Future[object]) -> Iterator[R]:
        """The oldest results as they finish, until ``until`` is done (then those already
        finished): a caller waiting for ``until`` hands on what finished meanwhile."""
        while self._pending:
            head = self._pending[0]
            if not head.done():
                if until.done():
                    return
                either: list[Future[Any]] = [head, until]
                futures_wait(either, return_when=FIRST_COMPLETED)
                continue
            yield self._pending.popleft().result()

    def wait(self) -> None:
        """Wait until no pending work runs (their results are dropped)."""
        futures_wait(self._pending)
        self._pending.clear()

    def settle(self) -> Iterator[R]:
        """Every pending result, waiting for each, the cancelled ones left out: after a
        cancel, what was finished meanwhile (an output written) is still reported."""
        while self._pending:
            try:
                yield self._pending.popleft().result()
            except Cancelled:
                continue
