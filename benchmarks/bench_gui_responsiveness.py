"""GUI responsiveness: the longest stall of the Qt event loop while a batch of 12 MP photos
converts in the worker thread (target ≤ 100 ms on the 2-core CPU).

    python benchmarks/bench_gui_responsiveness.py [--count 4] [--json out.json]

A 5 ms timer runs in the GUI thread; a stall is the time between two of its ticks minus the
interval. Runs offscreen; the main window is used exactly as a person would (queue, Start).
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

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from benchmarks.model import default_or_random_model
from benchmarks.photos import make_photos
from benchmarks.report import report
from zdce_core.parallel import set_compute_threads
from zdce_gui.app import wait_until
from zdce_gui.dialogs import ScriptedAsker
from zdce_gui.main_window import MainWindow

INTERVAL_MS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=4)
    parser.add_argument("--model")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    threads = set_compute_threads()
    paths = make_photos(
        Path(tempfile.gettempdir()) / "zdce-bench-photos" / "12mp", args.count, 4000, 3000
    )
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
        timer.stop()
        window.shutdown()
    gaps = [(b - a) * 1000 - INTERVAL_MS for a, b in itertools.pairwise(ticks)]
    results = {
        "worker_threads": threads,
        "photos": len(paths),
        "batch_seconds": round(seconds, 2),
        "batch_mp_s": round(12.0 * len(paths) / seconds, 2),
        "event_loop_ticks": len(ticks),
        "longest_stall_ms": round(max(gaps), 1),
        "p99_stall_ms": round(statistics.quantiles(gaps, n=100)[98], 1),
        "median_stall_ms": round(statistics.median(gaps), 1),
    }
    report(results, args.json)


if __name__ == "__main__":
    main()
