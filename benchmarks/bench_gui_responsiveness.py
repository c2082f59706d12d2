"""GUI responsiveness: the longest stall of the Qt event loop while a batch of 12 MP photos
converts in the worker thread, and while the loupe renders the 100 % view of one as the
picture is dragged around (target ≤ 100 ms on the 2-core CPU, for each).

    python benchmarks/bench_gui_responsiveness.py [--count 4] [--drags 40] [--json out.json]

A 5 ms timer runs in the GUI thread; a stall is the time between two of its ticks minus the
interval. Runs offscreen; the main window is used exactly as a person would (queue, Start;
then View > 100 % and mouse drags over the picture, one every 50 ms).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import itertools

from PySide6.QtCore import QPointF, QSettings, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from benchmarks.model import default_or_random_model
from benchmarks.photos import twelve_mp_photos
from benchmarks.report import report
from zdce_core.parallel import set_compute_threads
from zdce_gui.app import wait_until
from zdce_gui.compare_view import LoupeTile
from zdce_gui.dialogs import ScriptedAsker
from zdce_gui.main_window import MainWindow

INTERVAL_MS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--drags", type=int, default=40)
    parser.add_argument("--model")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    threads = set_compute_threads()
    paths = twelve_mp_photos(args.count)
    app = QApplication([])
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["ZDCE_HOME"] = tmp
        model = Path(args.model or default_or_random_model(Path(tmp)))
        store = QSettings(str(Path(tmp) / "s.ini"), QSettings.Format.IniFormat)
        window = MainWindow(store, ScriptedAsker())
        window.models.import_file(model)
        wait_until(app, lambda: not window.models.pool.workers, 30)
        window.show()
        window.ui.folder_edit.setText(str(Path(tmp) / "out"))
        window.queue_ctl.add_paths(paths)
        wait_until(app, lambda: window.queue_ctl.discovering == 0, 30)
        ticks: list[float] = []
        timer = QTimer()
        timer.setInterval(INTERVAL_MS)
        timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
        timer.start()
        wait_until(app, lambda: window.preview.current is not None, 30)  # first preview shown
        ticks.clear()
        t0 = time.perf_counter()
        window.ui.start_button.click()
        wait_until(app, lambda: not window.batch.running, 600)
        seconds = time.perf_counter() - t0
        batch_ticks = list(ticks)
        tiles = drag_the_loupe(app, window, ticks, args.drags)
        timer.stop()
        window.shutdown()
    results = {
        "worker_threads": threads,
        "photos": len(paths),
        "batch_seconds": round(seconds, 2),
        "batch_mp_s": round(12.0 * len(paths) / seconds, 2),
        **stalls("batch", batch_ticks),
        "loupe_drags": args.drags,
        "loupe_tiles_shown": tiles,
        **stalls("loupe", ticks),
    }
    report(results, args.json)


def drag_the_loupe(app: QApplication, window: MainWindow, ticks: list[float], drags: int) -> int:
    """View > 100 % on the selected photo, then ``drags`` mouse drags over the picture, one
    every 50 ms (``ticks`` restarted after the zoom). Returns how many loupe tiles were shown."""
    view, shown = window.ui.view, [0]
    set_loupe = view.set_loupe

    def counted(tile: LoupeTile | None) -> None:
        shown[0] += tile is not None
        set_loupe(tile)

    view.set_loupe = counted
    window.ui.actual_action.trigger()
    wait_until(app, lambda: shown[0] > 0, 60)  # the full-size photo loaded, a first tile
    ticks.clear()
    centre = QPointF(view.width() / 2, view.height() / 2)
    for i in range(drags):
        step = QPointF(40.0 if (i // 10) % 2 == 0 else -40.0, 15.0 if i % 2 else -15.0)
        QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=centre.toPoint())
        QTest.mouseMove(view, (centre + step).toPoint())
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=(centre + step).toPoint())
        QTest.qWait(50)
    wait_until(app, lambda: not window.preview.loupe.pool.workers, 30)
    return shown[0]


def stalls(phase: str, ticks: list[float]) -> dict[str, float | int]:
    """The event loop's stalls between the timer's ``ticks`` (seconds): longest, p99, median."""
    gaps = [(b - a) * 1000 - INTERVAL_MS for a, b in itertools.pairwise(ticks)]
    return {
        f"{phase}_event_loop_ticks": len(ticks),
        f"{phase}_longest_stall_ms": round(max(gaps), 1),
        f"{phase}_p99_stall_ms": round(
            statistics.quantiles(gaps, n=100, method="inclusive")[98], 1
        ),
        f"{phase}_median_stall_ms": round(statistics.median(gaps), 1),
    }


if __name__ == "__main__":
    main()
