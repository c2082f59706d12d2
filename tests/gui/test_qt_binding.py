"""The installed Qt binding itself: defects of PySide6 releases that crash the app."""

import ctypes
import sys

from PySide6.QtCore import QObject, Signal

EMITS = 20_000
CHECK_EVERY = 100
"""Emits between two looks at the count: far fewer than the references ``True`` has at
start-up (about 500), so a leaking binding fails the test before it can abort the run."""


class Flag(QObject):
    changed = Signal(bool)


def test_emitting_a_bool_keeps_the_reference_count_of_true():
    """PySide6 6.12.0 drops a reference to ``True`` on every ``Signal.emit(True)``: after a
    few thousand photos (each emits several) ``True`` is deallocated and the interpreter
    aborts (``Fatal Python error: bool_dealloc``). pyproject.toml excludes that release."""
    flag = Flag()
    received = [0]

    def count(value: bool) -> None:
        received[0] += value

    flag.changed.connect(count)
    before = sys.getrefcount(True)
    emitted = 0
    while emitted < EMITS and sys.getrefcount(True) >= before:
        for _ in range(CHECK_EVERY):
            flag.changed.emit(True)
        emitted += CHECK_EVERY
    dropped = before - sys.getrefcount(True)
    if dropped > 0:  # give them back, or the interpreter aborts when the test run ends
        for _ in range(dropped):
            ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    assert dropped <= 0, (
        f"Signal(bool).emit(True) dropped {dropped} references to True in {emitted} emits: "
        "this PySide6 release aborts a long session (see pyproject.toml)"
    )
    assert received[0] == EMITS
