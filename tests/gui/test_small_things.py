"""Small things a new user hit (issue 21): the model card's fields, the queue's status and
strength cells, what adding a folder queues, the window's narrowest width."""

from pathlib import Path

from tests.synthetic import brightening_net
from zdce_core.weights import save_model
from zdce_gui.model_manager import ModelManager


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
