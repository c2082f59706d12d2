"""File → Watch Folder… (issue 23, the app's hot folder): photos copied into the watched
folder join the queue and are converted once each; the indicator says so and a click on it
stops the watch; the watch comes back at the next start only when the user ticked it."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QPoint, Qt

from tests.conftest import save_photo
from zdce_core.outputs import FolderRule
from zdce_core.watch import STATE_FILE
from zdce_gui.main_window import MainWindow
from zdce_gui.output_box import show_folder_rule
from zdce_gui.queue_model import RowState

SETTLE_S = 0.2


def start_watch(window: MainWindow, qtbot, watched: Path, out: Path, resume: bool) -> None:
    """File → Watch Folder…, the folder dialog answering ``watched``; outputs to ``out``;
    Start Watching clicked in the dialog (``resume`` ticked or not)."""
    window.ui.folder_edit.setText(str(out))
    show_folder_rule(window.ui, FolderRule.CHOSEN)
    window.watch.settle_s = SETTLE_S
    window.asker.answers.append(watched)
    window.ui.watch_action.trigger()
    dialog = window.watch.dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    if resume:
        box = dialog.resume_check  # a click on its square
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))
        assert dialog.resume_check.isChecked()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Watching" in window.ui.watch_button.text(), timeout=10_000)


def statuses(window: MainWindow) -> dict[str, RowState]:
    return {item.path.name: item.status for item in window.queue.items}


def test_arrivals_are_queued_and_converted_once(window: MainWindow, qtbot, tmp_path: Path):
    watched, out = tmp_path / "Incoming", tmp_path / "out"
    watched.mkdir()
    start_watch(window, qtbot, watched, out, resume=False)
    assert not window.ui.watch_button.isHidden() and window.ui.stop_watch_action.isEnabled()
    assert not window.ui.watch_action.isEnabled()

    made = save_photo(tmp_path / "a.png")
    shutil.copy(made, watched / "a.png")
    save_photo(watched / "b.png")
    (watched / "c.png.part").write_bytes(b"half a photo")  # a temporary name: never taken
    qtbot.waitUntil(
        lambda: statuses(window) == {"a.png": RowState.DONE, "b.png": RowState.DONE},
        timeout=20_000,
    )
    assert "2 photos arrived" in window.ui.watch_button.text()
    outputs = sorted(p.name for p in out.iterdir() if p.name != STATE_FILE)
    assert outputs == ["a_enhanced.png", "b_enhanced.png"]
    written = {p: p.stat().st_mtime_ns for p in out.iterdir()}

    (watched / "a.png").touch()  # same content, new time: not converted again
    qtbot.wait(int(SETTLE_S * 1000 * 4))
    assert {p: p.stat().st_mtime_ns for p in out.iterdir() if p.name != STATE_FILE} == {
        p: t for p, t in written.items() if p.name != STATE_FILE
    }

    qtbot.mouseClick(window.ui.watch_button, Qt.MouseButton.LeftButton)  # the indicator stops
    qtbot.waitUntil(lambda: not window.watch.running, timeout=10_000)
    assert window.ui.watch_button.isHidden()
    assert window.ui.watch_action.isEnabled() and not window.ui.stop_watch_action.isEnabled()
    save_photo(watched / "late.png")
    qtbot.wait(int(SETTLE_S * 1000 * 4))
    assert "late.png" not in statuses(window)


def test_stop_watching_action_and_resume_only_when_ticked(
    make_window, qtbot, tmp_path: Path
) -> None:
    watched, out = tmp_path / "Incoming", tmp_path / "out"
    watched.mkdir()
    window = make_window()
    start_watch(window, qtbot, watched, out, resume=True)
    window.close()  # quitting keeps a ticked watch for the next start
    qtbot.waitUntil(lambda: not window.watch.running, timeout=10_000)

    save_photo(watched / "while_closed.png")
    again = make_window()
    again.watch.settle_s = SETTLE_S
    qtbot.waitUntil(lambda: again.watch.running, timeout=10_000)
    qtbot.waitUntil(lambda: statuses(again) == {"while_closed.png": RowState.DONE}, timeout=20_000)
    again.ui.stop_watch_action.trigger()  # the user stops it: not resumed any more
    qtbot.waitUntil(lambda: not again.watch.running, timeout=10_000)
    again.close()

    third = make_window()
    qtbot.wait(200)
    assert not third.watch.running and third.ui.watch_button.isHidden()


def test_outputs_beside_the_originals_are_refused(window: MainWindow, tmp_path: Path) -> None:
    show_folder_rule(window.ui, FolderRule.BESIDE)
    window.asker.answers.append(tmp_path)
    window.ui.watch_action.trigger()
    assert window.watch.dialog is None and not window.watch.running
    assert window.asker.shown[-1][0] == "Cannot watch the folder"
