"""``zdce-gui --startup-time``: the window is shown, ``window ready`` printed, exit 0."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from zdce_gui.app import main


def test_startup_time_shows_the_window_and_reports_it(
    qtbot, monkeypatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setenv("ZDCE_HOME", str(tmp_path))  # main() points it at a temporary home
    assert main(["--startup-time"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "window ready"


def test_the_entry_module_imports_no_torch() -> None:
    """``zdce-gui --version``/``--help`` answer without the two seconds of ``import torch``."""
    code = "import sys, zdce_gui.app; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
