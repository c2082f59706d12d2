"""Entry point of the desktop app: ``zdce-gui`` (and ``zdce-gui --smoke-test``)."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zdce_core import __version__
from zdce_core.resources import resource_path
from zdce_gui.system_check import startup_problem

if TYPE_CHECKING:  # Qt is imported only once the system check has passed
    from PySide6.QtWidgets import QApplication


def wait_until(app, condition: Callable[[], bool], timeout_s: float) -> bool:
    """Process events until ``condition()`` holds or ``timeout_s`` passes."""
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        app.processEvents()
        time.sleep(0.01)
    return True


def smoke_test(app, window, model: str | None) -> int:
    """Queue a generated image, preview it at two strengths, convert it, check the output."""
    import numpy as np
    from PIL import Image

    from zdce_core.kernels import EXPOSURE_KEYS, compiled
    from zdce_gui.dialogs import ScriptedAsker
    from zdce_gui.main_window import MainWindow

    assert isinstance(window, MainWindow) and isinstance(window.asker, ScriptedAsker)
    if model:
        window.models.import_file(Path(model))
    if not wait_until(app, lambda: not window.models.pool.workers, 60):  # import, load
        print(f"smoke test: loading {model or 'the model'} did not finish", file=sys.stderr)
        return 1
    if window.models.enhancer is None or window.asker.shown:
        problems = [window.models.error, *(m for _t, m in window.asker.shown)]
        print(f"smoke test: {'; '.join(p for p in problems if p)}", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in" / "dark.png"
        src.parent.mkdir()
        ramp = np.linspace(5, 60, 320, dtype=np.float32)
        rgb = np.stack([np.tile(ramp, (240, 1)) * f for f in (1.0, 0.9, 0.8)], axis=2)
        Image.fromarray(rgb.astype(np.uint8)).save(src)
        window.ui.folder_edit.setText(str(Path(tmp) / "out"))
        window.queue_ctl.add_paths([src.parent])
        if not wait_until(app, lambda: window.queue_ctl.discovering == 0, 30):
            print("smoke test: the image was not queued", file=sys.stderr)
            return 1
        window.ui.table.selectRow(0)
        if not wait_until(app, lambda: window.preview.current is not None, 60):
            print("smoke test: the preview was not estimated", file=sys.stderr)
            return 1
        means = []
        for strength in (2.0, 8.0):
            window.ui.strength_spin.setValue(strength)
            window.ui.view.after = None
            if not wait_until(
                app,
                lambda: window.ui.view.after is not None and not window.preview.renders.running,
                30,
            ):
                print("smoke test: the preview was not rendered", file=sys.stderr)
                return 1
            after = window.ui.view.after
            assert after is not None
            means.append(float(np.asarray(after.constBits()).mean()))
        if abs(means[1] - means[0]) < 0.5:
            print("smoke test: the strength did not change the preview", file=sys.stderr)
            return 1
        window.ui.start_button.click()
        if not wait_until(
            app, lambda: not window.batch.running and window.batch.last_summary is not None, 120
        ):
            print("smoke test: the conversion did not finish", file=sys.stderr)
            return 1
        out = Path(tmp) / "out" / "dark_enhanced.png"
        if not out.is_file():
            print(f"smoke test: no output at {out}", file=sys.stderr)
            return 1
        enhancer = window.models.enhancer
        strips = enhancer.fused_strips if enhancer is not None else 0
        path = f"compiled kernel ({strips} strips)" if strips else "eager stages"
        exposure = "compiled" if compiled(EXPOSURE_KEYS) is not None else "eager"
        print(
            f"smoke test passed: preview means {means[0]:.1f} → {means[1]:.1f}, "
            f"wrote {out.name}, rendered by the {path}, auto exposure {exposure}"
        )
    return 0


def report_window_ready(app, window) -> int:
    """Show ``window``; once the event loop has nothing left to do, print ``window ready``
    and end (``--startup-time``: what ``benchmarks/bench_startup.py`` measures), after the
    model's loading in its worker has finished."""
    from PySide6.QtCore import QTimer

    window.show()
    QTimer.singleShot(0, lambda: (print("window ready", flush=True), app.quit()))
    code = app.exec()
    return code if wait_until(app, lambda: not window.models.pool.workers, 60) else 1


def running_app_took(paths: Sequence[str]) -> bool:
    """``zdce-gui FILES…`` while the app runs: True once the running app queued them (no
    second window); False when none runs or it did not answer in time."""
    from zdce_gui.single_instance import hand_over

    return hand_over([Path(p) for p in paths])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="zdce-gui", description="Rescue dark photos.")
    parser.add_argument("--version", action="version", version=f"zdce-gui {__version__}")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="start headless, convert a generated image, exit 0 if all works",
    )
    parser.add_argument(
        "--startup-time",
        action="store_true",
        help="start headless, print 'window ready' once the window is shown and idle, exit",
    )
    parser.add_argument("--model", help="a model file to import into your models and use")
    parser.add_argument("paths", nargs="*", help="files or folders to queue")
    args = parser.parse_args(argv)
    # torch (~2 s) only after --version and --help, before the rest as it was.
    from zdce_core.parallel import set_compute_threads

    headless = args.smoke_test or args.startup_time
    smoke_home = tempfile.TemporaryDirectory() if headless else None
    if smoke_home is not None:  # headless, and nothing written to the user's folders
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        os.environ["ZDCE_HOME"] = smoke_home.name
    problem = startup_problem()  # before Qt aborts with a message about one library
    if problem is not None:
        print(problem, file=sys.stderr)
        return 1
    if not headless and not args.model and running_app_took(args.paths):
        return 0

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from zdce_gui.gui_gc import GuiCollector

    set_compute_threads()  # one worker per core, one torch thread each
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("zdce")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("zdce")
    app.setWindowIcon(QIcon(str(resource_path("icons", "zdce.png"))))
    collector = GuiCollector(app)  # Qt objects are never destroyed on a worker
    try:
        return _run(app, args, smoke_home)
    finally:
        collector.stop()


def _run(
    app: QApplication, args: argparse.Namespace, smoke_home: tempfile.TemporaryDirectory | None
) -> int:
    """Open the window (or run the headless smoke test or startup timing) until it closes."""
    from PySide6.QtCore import QSettings

    from zdce_gui.dialogs import ScriptedAsker
    from zdce_gui.main_window import MainWindow

    if smoke_home is not None:
        with smoke_home:
            settings = QSettings(
                str(Path(smoke_home.name) / "smoke.ini"), QSettings.Format.IniFormat
            )
            window = MainWindow(settings, ScriptedAsker())
            try:
                if args.startup_time:
                    return report_window_ready(app, window)
                return smoke_test(app, window, args.model)
            finally:
                window.shutdown()
    window = MainWindow()
    window.show()
    from zdce_gui.single_instance import serve_window

    serve_window(window)  # later starts hand their files to this window
    if args.model:
        window.models.import_file(Path(args.model))
    if args.paths:
        window.queue_ctl.add_paths([Path(p) for p in args.paths])
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
