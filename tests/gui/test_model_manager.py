"""Model → Manage… with hostile files in the model folder (issue 20, items 12 and 14): they are
listed greyed with the reason, can be deleted with the real Delete button, and a named pipe
never blocks the GUI thread; renames to a bad name say which names are allowed. Issue 21,
item 1: the main window and an open manager stay in step with renames, deletes and new
models."""

from __future__ import annotations

import faulthandler
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette

from tests.conftest import brightening_net, dark_rgb, save_photo
from tests.gui.conftest import add, import_model
from zdce_core.model_names import MODEL_NAME_RULE
from zdce_core.model_store import user_models_dir
from zdce_core.weights import save_model
from zdce_gui.dialogs import ScriptedAsker
from zdce_gui.model_controller import LoadState
from zdce_gui.model_manager import ModelManager

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """A test that blocks (a named pipe opened on the GUI thread) dumps its stacks and ends the
    run instead of hanging it."""
    faulthandler.dump_traceback_later(60, exit=True, file=sys.stderr)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture
def hostile_folder(user_home: Path) -> Path:
    """A good model, a safetensors header that is a JSON list, and (where possible) a FIFO."""
    folder = user_models_dir()
    save_model(brightening_net(), folder / "good.safetensors", {"date": "2024\x1b[2J"})
    raw = json.dumps([1, 2]).encode()
    (folder / "list.safetensors").write_bytes(len(raw).to_bytes(8, "little") + raw)
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "x.safetensors")
    return folder


class RecordingAsker(ScriptedAsker):
    """A :class:`ScriptedAsker` that also keeps the questions' text."""

    def __init__(self) -> None:
        super().__init__()
        self.questions: list[str] = []

    def confirm(self, title: str, question: str) -> bool:
        self.questions.append(question)
        return super().confirm(title, question)


def open_manager(qtbot, asker: ScriptedAsker) -> ModelManager:
    manager = ModelManager(asker=asker)
    qtbot.addWidget(manager)
    manager.show()
    return manager


def row_of(manager: ModelManager, name: str) -> int:
    return next(i for i, e in enumerate(manager.entries) if e.name == name)


def delete_with_button(manager: ModelManager, qtbot, name: str) -> None:
    manager.list.setCurrentRow(row_of(manager, name))
    assert manager.delete_button.isEnabled()
    manager.asker.answers.append(True)  # type: ignore[attr-defined]
    with qtbot.waitSignal(manager.models_changed, timeout=10_000):
        qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)


@needs_fifo
def test_unreadable_files_are_listed_greyed_and_deleted_with_the_button(hostile_folder, qtbot):
    asker = RecordingAsker()
    manager = open_manager(qtbot, asker)
    texts = [manager.list.item(i).text() for i in range(manager.list.count())]
    grey = manager.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    fifo_row, list_row = row_of(manager, "x"), row_of(manager, "list")
    assert texts[fifo_row] == "x (yours) — unreadable: not a file but a named pipe (FIFO)"
    assert texts[list_row] == "list (yours) — unreadable: the header is a list, not a JSON object"
    for row in (fifo_row, list_row):
        assert manager.list.item(row).foreground().color() == grey
    assert "unreadable" not in texts[row_of(manager, "good")]

    manager.list.setCurrentRow(fifo_row)
    assert "named pipe" in manager.card.toPlainText()
    assert not manager.export_button.isEnabled()
    assert manager.rename_button.isEnabled()
    delete_with_button(manager, qtbot, "x")
    assert asker.questions[-1].startswith(
        "Delete the unreadable file “x.safetensors” (not a file but a named pipe (FIFO))?"
    )
    assert not (hostile_folder / "x.safetensors").exists()
    delete_with_button(manager, qtbot, "list")
    assert not (hostile_folder / "list.safetensors").exists()
    assert [e.name for e in manager.entries if e.source.value == "user"] == ["good"]
    assert asker.shown == []  # no error box

    manager.list.setCurrentRow(row_of(manager, "good"))
    card = manager.card.toPlainText()
    assert "2024\\x1b[2J" in card and "\x1b" not in card
    assert manager.export_button.isEnabled()


def test_a_declined_delete_keeps_the_file(hostile_folder, qtbot):
    manager = open_manager(qtbot, ScriptedAsker())
    manager.list.setCurrentRow(row_of(manager, "list"))
    manager.asker.answers.append(False)  # type: ignore[attr-defined]
    qtbot.mouseClick(manager.delete_button, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert (hostile_folder / "list.safetensors").exists()


def test_renaming_to_a_bad_name_says_which_names_are_allowed(hostile_folder, qtbot):
    asker = ScriptedAsker()
    manager = open_manager(qtbot, asker)
    for bad in ("../../escape", ".hidden", "x" * 300):
        manager.list.setCurrentRow(row_of(manager, "good"))
        asker.answers.append(bad)
        qtbot.mouseClick(manager.rename_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: bool(asker.shown), timeout=10_000)
        title, message = asker.shown.pop()
        assert title == "Cannot rename" and MODEL_NAME_RULE in message
    assert (hostile_folder / "good.safetensors").is_file()
    assert not (hostile_folder.parent / "escape.safetensors").exists()


@needs_fifo
def test_the_main_window_offers_only_readable_models(hostile_folder, make_window):
    window = make_window()
    combo = window.ui.model_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert "good (yours)" in labels and "bright (yours)" in labels
    assert not any(label.startswith(("x ", "list ")) for label in labels)
    window.ui.manage_action.trigger()
    manager = next(m for m in window.findChildren(ModelManager) if m.isVisible())
    assert any(e.name == "x" for e in manager.entries)


def manager_of(window) -> ModelManager:
    """Model → Manage…, as a user opens it."""
    window.ui.manage_action.trigger()
    return next(m for m in window.findChildren(ModelManager) if m.isVisible())


def listed(manager: ModelManager) -> list[str]:
    return [manager.list.item(i).text() for i in range(manager.list.count())]


def test_renaming_the_model_in_use_keeps_using_it(make_window, user_home, tmp_path, qtbot):
    """Issue 21, item 1a: the renamed model stays in use under its new name; the preview is
    not rendered again (the same weights)."""
    window = make_window()
    combo = window.ui.model_combo
    combo.setCurrentIndex(combo.findText("bright (yours)"))
    save_photo(tmp_path / "a.png", dark_rgb())
    add(window, qtbot, [tmp_path / "a.png"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)
    enhancer, preview = window.models.enhancer, window.preview.current
    manager = manager_of(window)
    manager.list.setCurrentRow(row_of(manager, "bright"))
    window.asker.answers.append("bright night")
    with qtbot.waitSignal(manager.models_changed, timeout=10_000):
        qtbot.mouseClick(manager.rename_button, Qt.MouseButton.LeftButton)
    renamed = user_home / "models" / "bright night.safetensors"
    assert combo.currentText() == "bright night (yours)"
    assert combo.currentData() == str(renamed) and window.settings.model == renamed
    assert window.models.enhancer is enhancer and window.preview.current is preview
    assert (chosen := manager.selected()) is not None and chosen.name == "bright night"
    assert "bright night (yours)" in listed(manager) and window.asker.shown == []
    manager.grab().save("/tmp/issue21_manager_after_rename.png")


def test_deleting_the_model_in_use_says_what_is_used_now(make_window, qtbot):
    window = make_window()
    combo = window.ui.model_combo
    combo.setCurrentIndex(combo.findText("bright (yours)"))
    # in use once loaded (deleted while it loads, its load fails first: "Could not load")
    qtbot.waitUntil(lambda: window.models.state is LoadState.READY, timeout=10_000)
    manager = manager_of(window)
    manager.list.setCurrentRow(row_of(manager, "bright"))
    delete_with_button(manager, qtbot, "bright")
    assert combo.findText("bright (yours)") < 0
    qtbot.waitUntil(lambda: window.models.state is not LoadState.LOADING, timeout=10_000)
    now = combo.currentText()
    assert window.ui.status_label.text() == (
        f"Deleted bright, the model in use; now using {now or 'no model'}."
    )


def test_an_open_manager_lists_models_saved_meanwhile(make_window, tmp_path, user_home, qtbot):
    """Issue 21, item 1b: a model written by training, or imported, appears in the open
    manager's list (without closing and opening it again), the selection kept."""
    window = make_window()
    manager = manager_of(window)
    manager.list.setCurrentRow(row_of(manager, "bright"))
    window.ui.train_action.trigger()
    dialog = window.models.training_dialog
    assert dialog is not None
    trained = save_model(brightening_net(), user_home / "models" / "trained.safetensors")
    dialog.model_saved.emit(str(trained))  # what training does once it wrote the model
    assert "trained (yours)" in listed(manager)
    assert (chosen := manager.selected()) is not None and chosen.name == "bright"
    import_model(window, qtbot, save_model(brightening_net(), tmp_path / "imported.safetensors"))
    assert "imported (yours)" in listed(manager)
