"""A long batch says when it is done (issue 21, item 7): the window title shows its progress
("1 / 2 — zdce") while it runs and is restored when it ends; a batch that ends while the
window is not active is told by a desktop notification, or, with no system tray, by
flashing the window's taskbar entry."""

from __future__ import annotations

import threading
from enum import Enum, auto
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from tests.conftest import dark_rgb, save_photo
from tests.gui.conftest import add
from zdce_core import batch
from zdce_core.batch_events import BatchSummary
from zdce_gui.batch_notice import notice_text, progress_title
from zdce_gui.main_window import MainWindow


def test_notice_texts() -> None:
    out = Path("/photos/out")
    assert progress_title(12, 40) == "12 / 40 — zdce"
    summary = BatchSummary(total=40, done=39, failed=1)
    assert notice_text(summary, [out]) == "39 photos enhanced, 1 failed — output in /photos/out"
    one = BatchSummary(total=1, done=1)
    assert notice_text(one, [out, Path("/b"), Path("/c")]) == (
        "1 photo enhanced — output in /photos/out and 2 other folders"
    )
    cancelled = BatchSummary(total=40, done=0, skipped=2, cancelled=True)
    assert notice_text(cancelled, [out]) == "Cancelled after 0 photos enhanced, 2 skipped"


@pytest.fixture
def release(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Batches wait before their second photo (b.png) until this is set (deterministic)."""
    go = threading.Event()
    process = batch._process

    def held(*args, **kwargs):
        found = args[2]
        while found.path.name == "b.png" and not go.wait(0.01):
            pass
        return process(*args, **kwargs)

    monkeypatch.setattr(batch, "_process", held)
    return go


@pytest.fixture
def shown(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Notifications shown through a system tray, as ``(title, text)``."""
    messages: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QSystemTrayIcon,
        "showMessage",
        lambda _self, title, text, *_a: messages.append((title, text)),
    )
    return messages


@pytest.fixture
def alerted(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Windows whose taskbar entry was flashed."""
    windows: list[object] = []
    monkeypatch.setattr(QApplication, "alert", lambda widget, *_a: windows.append(widget))
    return windows


def convert_two(window: MainWindow, qtbot, tmp_path: Path, release: threading.Event) -> Path:
    """Queue two dark photos, click Convert, see the title while b.png is held, then
    ``release`` it; return the output folder once the batch is done."""
    for i, name in enumerate(("a.png", "b.png")):
        save_photo(tmp_path / "night" / name, dark_rgb(seed=i))
    add(window, qtbot, [tmp_path / "night"])
    out = tmp_path / "out"
    window.ui.folder_edit.setText(str(out))
    qtbot.mouseClick(window.ui.start_button, Qt.MouseButton.LeftButton)
    assert window.windowTitle() == "0 / 2 — zdce"
    qtbot.waitUntil(lambda: window.batch.finished_items == 1, timeout=30_000)
    assert window.windowTitle() == "1 / 2 — zdce"
    window.grab().save(str(tmp_path / "during.png"))
    release.set()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    return out


class Said(Enum):
    """How the end of the batch is told."""

    TRAY = auto()
    FLASH = auto()
    NOTHING = auto()


@pytest.mark.parametrize(
    ("tray", "active", "said"),
    [
        (True, False, Said.TRAY),  # away from the window: a desktop notification
        (False, False, Said.FLASH),  # no system tray: the taskbar entry flashes
        (True, True, Said.NOTHING),  # the user looks at the window: it says it already
    ],
)
def test_title_shows_progress_and_the_end_is_told(
    window, release, shown, alerted, tmp_path, qtbot, monkeypatch, tray, active, said
) -> None:
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: tray))
    monkeypatch.setattr(MainWindow, "isActiveWindow", lambda _self: active)
    title = window.windowTitle()
    out = convert_two(window, qtbot, tmp_path, release)
    assert window.windowTitle() == title
    notice = ("zdce: batch finished", f"2 photos enhanced — output in {out}")
    assert shown == ([notice] if said is Said.TRAY else [])
    assert alerted == ([window] if said is Said.FLASH else [])
