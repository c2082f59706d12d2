"""``zdce-gui --startup-time``: the window is shown, ``window ready`` printed, exit 0."""

from __future__ import annotations

from pathlib import Path

from zdce_gui.app import main


def test_startup_time_shows_the_window_and_reports_it(
    qtbot, monkeypatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setenv("ZDCE_HOME", str(tmp_path))  # main() points it at a temporary home
    assert main(["--startup-time"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "window ready"
