"""One app per user (issue 23): ``zdce-gui FILE`` started while the app runs hands the file
to the running app's queue instead of opening a second window; a running app that does not
answer (hung, or a stale socket) lets the new start open its own window."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from PySide6.QtNetwork import QLocalServer

from tests.conftest import save_photo
from zdce_gui.main_window import MainWindow
from zdce_gui.single_instance import hand_over, serve, serve_window, server_name


def test_a_second_start_hands_its_files_to_the_running_app(
    window: MainWindow, qtbot, tmp_path: Path, user_home: Path
) -> None:
    serve_window(window)
    photo = save_photo(tmp_path / "from the file manager.png")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ZDCE_HOME": str(user_home)}
    second = subprocess.Popen(
        [sys.executable, "-m", "zdce_gui.app", str(photo)], env=env, cwd=Path.cwd()
    )
    try:
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=30_000)
    finally:
        second.kill()  # had it opened a window of its own, it would still run
    assert second.returncode == 0
    qtbot.waitUntil(lambda: bool(window.queue.items), timeout=10_000)
    assert [item.path for item in window.queue.items] == [photo]


def test_paths_reach_the_server_made_absolute(qtbot, window: MainWindow, tmp_path) -> None:
    """The client as a second process calls it (in this process, PySide's blocking socket
    calls would hold the interpreter the server needs to answer)."""
    name = f"zdce-test-{uuid.uuid4().hex[:12]}"
    received: list[list[Path]] = []
    serve(received.append, window, name)
    code = (
        "import sys; from pathlib import Path; from zdce_gui.single_instance import hand_over; "
        f"sys.exit(0 if hand_over([Path('x.jpg')], {name!r}) else 3)"
    )
    client = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path)
    qtbot.waitUntil(lambda: client.poll() is not None, timeout=20_000)
    assert client.returncode == 0
    assert received == [[tmp_path / "x.jpg"]]


def test_an_app_that_does_not_answer_lets_the_new_start_open_its_window(qtbot) -> None:
    name = f"zdce-test-{uuid.uuid4().hex[:12]}"
    assert not hand_over([Path("x.jpg")], name, timeout_ms=300)  # nothing listens
    hung = QLocalServer()
    assert hung.listen(name)  # accepts, but its event loop never reads (this thread waits)
    started = time.monotonic()
    assert not hand_over([Path("x.jpg")], name, timeout_ms=300)
    assert time.monotonic() - started < 3
    hung.close()


def test_the_name_is_per_user_data_folder(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ZDCE_HOME", str(tmp_path / "a"))
    first = server_name()
    monkeypatch.setenv("ZDCE_HOME", str(tmp_path / "b"))
    assert server_name() != first
