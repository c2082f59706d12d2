"""Python's cyclic garbage collection, run on the GUI thread only.

Qt objects must be destroyed on the thread that owns them. With automatic collection, the
thread that happens to allocate when a collection is due runs it — a worker loading a model
or rendering a strip — and a reference cycle holding a closed window's widgets was then
destroyed on that worker: the process crashed (a segfault in the test suite, with
"Garbage-collecting" in a model-loading worker's stack). :class:`GuiCollector` turns
automatic collection off and collects from a timer on the GUI thread instead, each
generation when its count passes the interpreter's own threshold, as automatic collection
would have.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250
"""How often the GUI thread checks whether a collection is due."""


def collect_due() -> int:
    """Collect the oldest generation whose count has passed its threshold (with the younger
    ones); returns how many unreachable objects were found (0 when none was due)."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1, 0):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            return gc.collect(generation)
    return 0


class GuiCollector(QObject):
    """While it runs, garbage is collected on the thread that created it (the GUI thread)
    and nowhere else; :meth:`stop` gives collection back to the interpreter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(collect_due)
        self._timer.start(INTERVAL_MS)

    def stop(self) -> None:
        """Stop collecting here; automatic collection is on again if it was before."""
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
