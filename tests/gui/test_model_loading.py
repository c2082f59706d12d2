"""Issue 21, the GUI's design step: a model loads in a worker, never on the GUI thread. While
it loads the selector shows the choice, Start waits and the status says so; a newer choice
wins over an older load; a model that cannot be loaded says why once and the model in use
before stays in use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

import zdce_gui.model_controller as model_controller
from tests.conftest import brightening_net, dark_rgb, save_photo
from tests.gui.conftest import add
from zdce_core.weights import LoadedModel, load_model, save_model
from zdce_gui.main_window import MainWindow
from zdce_gui.model_controller import LOADING, LoadState


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Loading a model named "other" waits until the test sets this event (another model
    loads at once)."""
    event = threading.Event()

    def blocking_load(path: Path) -> LoadedModel:
        if Path(path).stem == "other":
            assert event.wait(10), "the test never released the load"
        return load_model(path)

    monkeypatch.setattr(model_controller, "load_model", blocking_load)
    yield event
    event.set()  # never leave a worker waiting


def choose(window: MainWindow, label: str) -> None:
    """Pick ``label`` in the model selector, as a user does."""
    combo = window.ui.model_combo
    index = combo.findText(label)
    assert index >= 0, f"{label!r} is not offered"
    combo.setCurrentIndex(index)


def in_use(window: MainWindow) -> str:
    enhancer = window.models.enhancer
    assert enhancer is not None and enhancer.model.path is not None
    return Path(enhancer.model.path).stem


def test_the_event_loop_runs_while_a_model_loads(make_window, user_home, tmp_path, qtbot, gate):
    save_model(brightening_net("dcenet++"), user_home / "models" / "other.safetensors")
    window = make_window()
    choose(window, "bright (yours)")
    qtbot.waitUntil(lambda: window.models.state is LoadState.READY, timeout=10_000)
    save_photo(tmp_path / "a.png", dark_rgb())
    add(window, qtbot, [tmp_path / "a.png"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)

    choose(window, "other (yours)")
    assert window.ui.model_combo.currentText() == "other (yours)"
    assert window.models.state is LoadState.LOADING and window.models.enhancer is None
    assert window.ui.status_label.text() == LOADING and window.ui.view.message == LOADING
    assert not window.ui.start_button.isEnabled() and not window.ui.start_action.isEnabled()
    ticks: list[int] = []
    QTimer.singleShot(20, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: bool(ticks), timeout=2_000)  # the GUI thread is not blocked
    assert window.models.state is LoadState.LOADING and window.preview.current is None

    gate.set()
    qtbot.waitUntil(lambda: window.models.state is LoadState.READY, timeout=10_000)
    assert in_use(window) == "other"
    assert window.models.enhancer is not None and window.models.enhancer.model.arch == "dcenet++"
    assert window.settings.model == user_home / "models" / "other.safetensors"
    assert window.ui.start_button.isEnabled() and window.ui.status_label.text() != LOADING
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)
    assert window.asker.shown == []


def test_a_newer_choice_wins_over_an_older_load(make_window, user_home, qtbot, gate):
    save_model(brightening_net("dcenet++"), user_home / "models" / "other.safetensors")
    window = make_window()
    choose(window, "bright (yours)")
    qtbot.waitUntil(lambda: window.models.state is LoadState.READY, timeout=10_000)
    choose(window, "other (yours)")
    choose(window, "bright (yours)")  # while "other" is still loading
    gate.set()
    qtbot.waitUntil(lambda: not window.models.pool.workers, timeout=10_000)
    assert window.models.state is LoadState.READY and in_use(window) == "bright"
    assert window.ui.model_combo.currentText() == "bright (yours)"
    assert window.settings.model == user_home / "models" / "bright.safetensors"


def test_a_broken_model_says_why_once_and_the_previous_stays(make_window, user_home, qtbot):
    (user_home / "models" / "broken.pth").write_bytes(b"not a checkpoint at all")
    window = make_window()
    choose(window, "bright (yours)")
    qtbot.waitUntil(lambda: window.models.state is LoadState.READY, timeout=10_000)
    choose(window, "broken (yours)")
    qtbot.waitUntil(lambda: window.models.state is not LoadState.LOADING, timeout=10_000)
    assert window.models.state is LoadState.READY and in_use(window) == "bright"
    assert window.ui.model_combo.currentText() == "bright (yours)"
    assert window.settings.model == user_home / "models" / "bright.safetensors"
    assert len(window.asker.shown) == 1
    title, message = window.asker.shown[0]
    assert title == "Cannot load model" and "broken.pth" in message and "\n" not in message
    assert "broken.pth" in window.ui.status_label.text()
