"""The output box's export options (issue 21, item 4), set through its widgets: where the
outputs go (beside each original), the file-name template, the long edge, the quality and
photos that need no change."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from PySide6.QtCore import Qt

from tests.conftest import save_photo
from tests.gui.conftest import add
from zdce_core.outputs import FolderRule, Unchanged
from zdce_gui.main_window import MainWindow
from zdce_gui.queue_model import RowState


def choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def type_into(qtbot, edit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)


def start_and_wait(window: MainWindow, qtbot) -> None:
    qtbot.mouseClick(window.ui.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)


def test_beside_each_original_with_a_template_a_long_edge_and_a_quality(window, qtbot, tmp_path):
    photos = tmp_path / "photos"
    save_photo(photos / "a.png")
    save_photo(photos / "trip" / "b.png")
    add(window, qtbot, [photos])
    ui = window.ui
    choose(ui.folder_rule_combo, FolderRule.BESIDE)
    assert not ui.mirror_check.isEnabled()
    type_into(qtbot, ui.name_edit, "{name}-{model}")
    choose(ui.format_combo, "jpeg")
    ui.quality_spin.setValue(40)
    ui.long_edge_spin.setValue(32)
    start_and_wait(window, qtbot)
    model = Path(ui.model_combo.currentData()).stem
    written = sorted(p.relative_to(photos).as_posix() for p in photos.rglob("*.jpg"))
    assert written == [f"a-{model}.jpg", f"trip/b-{model}.jpg"]
    output = photos / f"a-{model}.jpg"
    with Image.open(output) as img:
        assert img.size == (32, 24)
        img.save(tmp_path / "q95.jpg", quality=95)
    assert output.stat().st_size < (tmp_path / "q95.jpg").stat().st_size  # quality 40
    assert window.batch.last_summary.done == 2


def test_an_unsafe_template_is_told_and_nothing_is_written(window, qtbot, tmp_path):
    save_photo(tmp_path / "photos" / "a.png")
    add(window, qtbot, [tmp_path / "photos"])
    ui = window.ui
    ui.folder_edit.setText(str(tmp_path / "out"))
    assert ui.folder_rule_combo.currentData() is FolderRule.CHOSEN  # typing a folder chose it
    type_into(qtbot, ui.name_edit, "{name}/x")
    qtbot.mouseClick(ui.start_button, Qt.MouseButton.LeftButton)
    assert not window.batch.running
    (title, message), *_ = window.asker.shown
    assert title == "Cannot start" and "may not contain /" in message
    assert not (tmp_path / "out").exists()


def test_a_chosen_folder_left_empty_is_told(window, qtbot, tmp_path):
    save_photo(tmp_path / "photos" / "a.png")
    add(window, qtbot, [tmp_path / "photos"])
    choose(window.ui.folder_rule_combo, FolderRule.CHOSEN)
    qtbot.mouseClick(window.ui.start_button, Qt.MouseButton.LeftButton)
    assert window.asker.shown == [
        ("Cannot start", "Choose the output folder (Browse…), or another place to save to.")
    ]


def test_photos_that_need_no_change_are_skipped_when_asked(window, qtbot, tmp_path):
    save_photo(tmp_path / "photos" / "a.png")
    add(window, qtbot, [tmp_path / "photos"])
    ui = window.ui
    ui.folder_edit.setText(str(tmp_path / "out"))
    ui.strength_spin.setValue(0.0)  # a manual strength 0: nothing to change
    choose(ui.unchanged_combo, Unchanged.SKIP)
    start_and_wait(window, qtbot)
    item = window.queue.items[0]
    assert item.status is RowState.SKIPPED and "needs no change" in item.reason
    assert "Overwrite" not in item.reason
    assert not (tmp_path / "out" / "a_enhanced.png").exists()


def test_the_export_options_are_remembered(make_window, qtbot, tmp_path):
    first = make_window()
    choose(first.ui.folder_rule_combo, FolderRule.BESIDE)
    type_into(qtbot, first.ui.name_edit, "{date}_{name}")
    first.ui.long_edge_spin.setValue(2048)
    choose(first.ui.unchanged_combo, Unchanged.WRITE)
    first.close()
    second = make_window()
    ui = second.ui
    assert ui.folder_rule_combo.currentData() is FolderRule.BESIDE
    assert ui.name_edit.text() == "{date}_{name}"
    assert ui.long_edge_spin.value() == 2048
    assert ui.unchanged_combo.currentData() is Unchanged.WRITE


def test_a_refused_template_is_not_remembered(make_window, qtbot, tmp_path: Path):
    first = make_window()
    type_into(qtbot, first.ui.name_edit, "{name}/x")
    first.close()
    assert make_window().ui.name_edit.text() == "{name}{suffix}"
