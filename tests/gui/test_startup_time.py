"""``zdce-gui --startup-time``: the window is shown, ``window ready`` printed, exit 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_startup_time_shows_the_window_and_reports_it(tmp_path: Path) -> None:
    """In a process of its own: ``--startup-time`` runs the app's event loop and quits the
    application, which would leave the test session's QApplication unusable."""
    env = {**os.environ, "ZDCE_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "zdce_gui.app", "--startup-time"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "window ready"


def test_the_entry_module_imports_no_torch() -> None:
    """``zdce-gui --version``/``--help`` answer without the two seconds of ``import torch``."""
    code = "import sys, zdce_gui.app; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
