"""Small things a new user hit (issue 21): the model card's fields, the queue's status and
strength cells, what adding a folder queues, the window's narrowest width."""

import re
from pathlib import Path

from PySide6.QtCore import Qt

from tests.gui.conftest import add
from tests.synthetic import brightening_net, dark_rgb, save_photo
from zdce_core.model_names import MODEL_NAME_RULE
from zdce_core.weights import save_model
from zdce_gui.model_manager import ModelManager
from zdce_gui.queue_model import COLUMNS, RowState


def card_rows(manager: ModelManager) -> dict[str, str]:
    """The model card as ``{label: value}``, read from the card's text as shown."""
    lines = [line.strip() for line in manager.card.toPlainText().splitlines() if line.strip()]
    return dict(zip(lines[1::2], lines[2::2], strict=False))


def open_manager(window, qtbot) -> ModelManager:
    window.ui.manage_action.trigger()
    manager = window.findChild(ModelManager)
    assert manager is not None
    qtbot.waitExposed(manager)
    return manager


def select_model(manager: ModelManager, name: str) -> None:
    names = [entry.name for entry in manager.entries]
    manager.list.setCurrentRow(names.index(name))


def test_the_bundled_models_card_says_what_it_started_from_and_which_epochs(window, qtbot):
    manager = open_manager(window, qtbot)
    select_model(manager, "default")
    rows = card_rows(manager)
    assert rows["Started from"] == "a DCE-Net++ trained from scratch for 24 epochs (recipe pp)"
    assert rows["Epochs"] == "11 (this run; 35 in all)"
    assert rows["Architecture"] == "DCE-Net++"


def test_a_fine_tuned_models_card_counts_its_own_epochs(window, qtbot, user_home: Path):
    meta = {"base": "default.safetensors", "epochs": 3, "arch": "dcenet"}
    save_model(brightening_net(), user_home / "models" / "mine.safetensors", meta)
    manager = open_manager(window, qtbot)
    select_model(manager, "mine")
    rows = card_rows(manager)
    assert rows["Started from"] == "default.safetensors"
    assert rows["Epochs"] == "3 (this run)"
    assert rows["Architecture"] == "DCE-Net"


def test_the_training_dialog_says_which_model_names_are_usable(window, qtbot):
    window.ui.train_action.trigger()
    dialog = window.models.training_dialog
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.pool.workers, timeout=10_000)
    settings = dialog.settings
    assert settings.name_problem.isHidden()
    settings.name_edit.clear()
    qtbot.keyClicks(settings.name_edit, "my night/v2")
    assert settings.name_problem.isVisibleTo(dialog)
    shown = settings.name_problem.text()
    assert "'my night/v2' is not a usable model name" in shown and MODEL_NAME_RULE in shown
    assert MODEL_NAME_RULE in settings.name_edit.toolTip().lower()
    assert not dialog.start_button.isEnabled()
    qtbot.keyClick(settings.name_edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(settings.name_edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(settings.name_edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(settings.name_edit, " v2")
    assert settings.name_problem.isHidden()


def test_a_folders_other_files_are_not_queued_nor_counted(window, qtbot, tmp_path: Path):
    folder = tmp_path / "night"
    save_photo(folder / "a.jpg")
    save_photo(folder / "b.png", dark_rgb(seed=1))
    (folder / "notes.txt").write_text("not a photo")
    (folder / ".DS_Store").write_bytes(b"\0")
    window.asker.answers.append(str(folder))
    qtbot.mouseClick(window.ui.add_folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.queue_ctl.discovering == 0, timeout=10_000)
    assert [item.path.name for item in window.queue.items] == ["a.jpg", "b.png"]
    status = window.ui.status_label
    assert status.text() == "2 in the queue; left out 1 file, not photos"
    assert status.toolTip() == "notes.txt: not an image file"


def test_a_file_named_directly_is_queued_even_if_it_is_not_a_photo(window, qtbot, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("not a photo")
    assert add(window, qtbot, [notes]) == 1  # asked for by name: the row says why it fails


def test_a_failed_rows_status_is_readable_at_1366x768(window, qtbot, tmp_path: Path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 garbage")
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    assert add(window, qtbot, [save_photo(tmp_path / "a.jpg"), broken]) == 2
    row = window.queue.row_of(broken)
    window.ui.table.selectRow(row)  # its preview finds it unreadable
    qtbot.waitUntil(lambda: window.queue.items[row].status is RowState.FAILED, timeout=10_000)
    reason = window.queue.items[row].reason
    status, result = COLUMNS.index("Status"), COLUMNS.index("Result")
    assert window.queue.index(row, status).data() == "failed"
    assert window.queue.index(row, result).data() == reason
    assert reason in window.queue.index(row, status).data(Qt.ItemDataRole.ToolTipRole)
    table = window.ui.table
    for state in RowState:  # every status word fits its column, none is cut
        assert table.fontMetrics().horizontalAdvance(state.value) + 8 <= table.columnWidth(status)


def test_the_window_fits_900_pixels_wide(window, qtbot):
    window.resize(900, 700)
    window.show()
    qtbot.waitExposed(window)
    assert window.minimumSizeHint().width() <= 900
    assert (window.width(), window.height()) == (900, 700)
    ui = window.ui
    for widget in (ui.start_button, ui.open_output_button, ui.own_strength_check, ui.clear_button):
        corner = widget.mapTo(window, widget.rect().bottomRight())
        assert window.rect().contains(corner), widget


def test_the_strength_column_shows_the_auto_strength_before_a_preview(window, qtbot, tmp_path):
    paths = [save_photo(tmp_path / f"{i}.png", dark_rgb(seed=i)) for i in range(3)]
    assert add(window, qtbot, paths) == 3
    column = COLUMNS.index("Strength")
    items = window.queue.items
    qtbot.waitUntil(lambda: all(item.auto_estimate is not None for item in items), timeout=20_000)
    last = window.queue.index(2, column).data()
    assert items[2].chosen is None  # never previewed
    assert re.fullmatch(r"auto \d\.\d", last), last
    window.ui.table.selectRow(2)  # its preview agrees with the estimate
    qtbot.waitUntil(lambda: items[2].chosen is not None, timeout=20_000)
    assert abs(items[2].chosen[0] - items[2].auto_estimate) <= 0.1
