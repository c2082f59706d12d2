"""Browsing and culling (issue 21): ←/→, Home/End move between the queued photos while the
queue or the preview has the focus; S (or File → Skip in Batch) leaves photos out of the
batch, and S again puts them back."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from tests.conftest import save_photo
from tests.gui.conftest import add
from tests.synthetic import dark_rgb
from zdce_gui.main_window import MainWindow
from zdce_gui.queue_model import COLUMNS, RowState


@pytest.fixture
def three(window: MainWindow, qtbot, tmp_path: Path) -> MainWindow:
    """The window, shown and active, with three photos queued and the first selected."""
    paths = [
        save_photo(tmp_path / "in" / f"{n}.png", dark_rgb(seed=i)) for i, n in enumerate("abc")
    ]
    assert add(window, qtbot, paths) == 3
    window.show()
    window.activateWindow()
    qtbot.waitExposed(window)
    qtbot.waitUntil(window.isActiveWindow)
    return window


def shown_name(window: MainWindow) -> str:
    """The photo in the preview, once its preview is ready."""
    return window.preview.current.path.name if window.preview.current else ""


def selected(window: MainWindow) -> int:
    return window.ui.table.currentIndex().row()


def status_text(window: MainWindow, row: int) -> str:
    return str(window.queue.data(window.queue.index(row, COLUMNS.index("Status"))))


@pytest.mark.parametrize("focus", ["table", "view"])
def test_arrows_home_and_end_move_the_selection_and_the_preview(three, qtbot, focus):
    window = three
    widget = getattr(window.ui, focus)
    widget.setFocus()
    qtbot.waitUntil(lambda: shown_name(window) == "a.png", timeout=10_000)
    for key, row, name in (
        (Qt.Key.Key_Right, 1, "b.png"),
        (Qt.Key.Key_Right, 2, "c.png"),
        (Qt.Key.Key_Right, 2, "c.png"),  # the last stays the last
        (Qt.Key.Key_Left, 1, "b.png"),
        (Qt.Key.Key_Home, 0, "a.png"),
        (Qt.Key.Key_End, 2, "c.png"),
    ):
        qtbot.keyClick(widget, key)
        assert selected(window) == row
        qtbot.waitUntil(lambda name=name: shown_name(window) == name, timeout=10_000)
        assert widget.hasFocus()  # the focus stays where the user put it


def test_an_arrow_in_a_text_field_moves_the_cursor_not_the_photo(three, qtbot):
    window = three
    qtbot.waitUntil(lambda: shown_name(window) == "a.png", timeout=10_000)
    edit = window.ui.suffix_edit
    edit.setText("_x")
    edit.setFocus()
    edit.setCursorPosition(2)
    for key in (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_End, Qt.Key.Key_S):
        qtbot.keyClick(edit, key)
    assert selected(window) == 0
    assert edit.text() == "_xs"  # typed, not a skip
    assert not any(item.user_skip for item in window.queue.items)


def test_s_and_the_menu_action_skip_photos_and_the_batch_leaves_them_out(three, qtbot, tmp_path):
    window = three
    out = tmp_path / "out"
    window.ui.folder_edit.setText(str(out))
    table = window.ui.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_S)  # a.png
    assert window.queue.items[0].user_skip and status_text(window, 0) == "skip"
    assert window.ui.skip_action.isChecked()
    assert window.ui.status_label.text() == "2 to convert, 1 skipped by you"
    qtbot.keyClick(table, Qt.Key.Key_Right)
    assert not window.ui.skip_action.isChecked()  # b.png is not flagged
    window.ui.skip_action.trigger()  # File → Skip in Batch, on b.png
    assert window.queue.items[1].user_skip and status_text(window, 1) == "skip"
    window.ui.skip_action.trigger()  # and back
    assert not window.queue.items[1].user_skip and status_text(window, 1) == "queued"
    assert window.ui.status_label.text() == "2 to convert, 1 skipped by you"
    window.grab().save(str(tmp_path / "skipped_row.png"))

    qtbot.mouseClick(window.ui.start_button, Qt.MouseButton.LeftButton)
    assert window.ui.status_label.text() == "Converting… 2 to convert, 1 skipped by you"
    assert not window.ui.skip_action.isEnabled()  # the batch's photos are decided
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    assert sorted(p.name for p in out.iterdir()) == ["b_enhanced.png", "c_enhanced.png"]
    assert [i.status for i in window.queue.items] == [
        RowState.QUEUED,
        RowState.DONE,
        RowState.DONE,
    ]
    assert status_text(window, 0) == "skip"

    table.setFocus()  # the click gave the focus to Start
    qtbot.keyClick(table, Qt.Key.Key_Home)
    qtbot.keyClick(table, Qt.Key.Key_S)  # un-flag: back in the next batch
    assert not window.queue.items[0].user_skip and status_text(window, 0) == "queued"
    assert window.ui.status_label.text() == "3 to convert"


def test_the_shortcuts_dialog_lists_the_browsing_keys(window):
    text = window.show_shortcuts().text()
    assert all(key in text.splitlines() for key in ("Left", "Right", "Home", "End", "S"))
