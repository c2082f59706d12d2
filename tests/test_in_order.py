"""Results of work started in order come back in that order (``zdce_core.in_order``)."""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor

import pytest

from zdce_core.cancel import Cancelled
from zdce_core.in_order import InOrder


def test_results_come_back_in_the_order_they_were_put_whatever_finishes_first():
    gates = [threading.Event() for _ in range(4)]
    pending: InOrder[int] = InOrder()
    with ThreadPoolExecutor(4) as pool:
        for i, gate in enumerate(gates):
            pending.put(pool.submit(lambda i=i, gate=gate: gate.wait(5) and i))
        pending.put(4)  # a value already known
        for gate in reversed(gates):  # the last finishes first
            gate.set()
        assert list(pending.take(keep=2)) == [0, 1, 2]
        assert len(pending) == 2
        assert list(pending.take()) == [3, 4]
    assert len(pending) == 0


def test_an_error_is_raised_in_its_place_and_settle_drops_only_cancelled_work():
    pending: InOrder[int] = InOrder()
    cancelled: Future[int] = Future()
    cancelled.set_exception(Cancelled())
    failed: Future[int] = Future()
    failed.set_exception(ValueError("broken"))
    for result in (1, cancelled, 2):
        pending.put(result)
    taken = pending.take()
    assert next(taken) == 1
    with pytest.raises(Cancelled):
        next(taken)
    assert list(pending.settle()) == [2]
    pending.put(cancelled)
    pending.put(3)
    assert list(pending.settle()) == [3]
    pending.put(failed)
    with pytest.raises(ValueError, match="broken"):
        list(pending.settle())


def test_wait_returns_once_no_work_runs():
    gate, ran = threading.Event(), threading.Event()
    pending: InOrder[None] = InOrder()
    with ThreadPoolExecutor(1) as pool:

        def work() -> None:
            gate.wait(5)
            ran.set()

        pending.put(pool.submit(work))
        threading.Timer(0.05, gate.set).start()
        pending.wait()
        assert ran.is_set() and len(pending) == 0


def test_results_finished_while_waiting_for_something_else_are_handed_on():
    pending: InOrder[str] = InOrder()
    first: Future[str] = Future()
    later: Future[str] = Future()
    until: Future[object] = Future()
    for result in (first, later):
        pending.put(result)
    threading.Timer(0.05, first.set_result, ["first"]).start()
    threading.Timer(0.15, until.set_result, [None]).start()
    assert list(pending.take_until(until)) == ["first"]  # not waiting for the later one
    assert until.done() and len(pending) == 1
    later.set_result("later")
    assert list(pending.take_until(until)) == ["later"]  # already finished: handed on
