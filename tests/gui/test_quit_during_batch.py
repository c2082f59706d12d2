"""File → Quit (Ctrl+Q) while a batch runs asks first, as quitting during training does
(issue 21, item 2): No keeps the window and the batch; Yes cancels the batch (no partial
output) and closes the window."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import dark_rgb, save_photo
from tests.gui.conftest import add
from zdce_core import batch
from zdce_core.batch_events import ItemFinished
from zdce_core.discovery import FoundFile
from zdce_gui.dialogs import ScriptedAsker
from zdce_gui.main_window import MainWindow
from zdce_gui.queue_model import RowState

BLOCKED = "b.png"
"""The photo the batch waits on until it is cancelled."""


class RecordingAsker(ScriptedAsker):
    """A :class:`ScriptedAsker` that also keeps the questions' text."""

    def __init__(self, *answers: object) -> None:
        super().__init__(*answers)
        self.questions: list[str] = []

    def confirm(self, title: str, question: str) -> bool:
        self.questions.append(question)
        return super().confirm(title, question)


@pytest.fixture
def held_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches stop before enhancing :data:`BLOCKED` until they are cancelled, then go on
    into the real cancel path (deterministic: no race with a fast machine)."""
    process = batch._process
    signature = inspect.signature(process)

    def held(*args: Any, **kwargs: Any) -> ItemFinished:
        named = signature.bind(*args, **kwargs).arguments
        found: FoundFile = named["found"]
        should_stop: Callable[[], bool] = named["should_stop"]
        while found.path.name == BLOCKED and not should_stop():
            time.sleep(0.01)
        return process(*args, **kwargs)

    monkeypatch.setattr(batch, "_process", held)


def start_held_batch(window: MainWindow, qtbot, folder: Path, out: Path) -> None:
    """Convert a.png, b.png and c.png; return once a.png is done and b.png is held."""
    for i, name in enumerate(("a.png", BLOCKED, "c.png")):
        save_photo(folder / name, dark_rgb(seed=i))
    add(window, qtbot, [folder])
    window.ui.folder_edit.setText(str(out))
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: window.batch.finished_items == 1, timeout=30_000)
    assert window.batch.running


def test_quit_during_a_batch_asks_and_no_keeps_it_running(
    window, held_batch, tmp_path, qtbot
) -> None:
    window.show()
    start_held_batch(window, qtbot, tmp_path / "night", tmp_path / "out")
    asker = window.asker
    asker.answers.append(False)
    window.ui.quit_action.trigger()
    assert asker.asked == ["Stop the batch?"]
    assert window.isVisible() and window.batch.running
    assert window.batch.worker is not None and not window.batch.worker.cancelled


def test_quit_during_a_batch_yes_cancels_it_and_closes(window, held_batch, tmp_path, qtbot) -> None:
    window.show()
    out = tmp_path / "out"
    start_held_batch(window, qtbot, tmp_path / "night", out)
    window.asker = asker = RecordingAsker(True)
    window.ui.quit_action.trigger()
    assert asker.questions == ["A batch is running (1 of 3 done). Stop it and quit?"]
    assert not window.isVisible()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=10_000)
    summary = window.batch.last_summary
    assert summary is not None and summary.cancelled
    states = {i.path.name: i.status for i in window.queue.items}
    # c.png, a small photo, runs beside b.png: done before the quit or cancelled with it
    assert states["a.png"] is RowState.DONE and states[BLOCKED] is RowState.CANCELLED
    assert states["c.png"] in (RowState.DONE, RowState.CANCELLED)
    done = sorted(f"{Path(n).stem}_enhanced.png" for n, s in states.items() if s is RowState.DONE)
    assert summary.done == len(done)
    assert sorted(p.name for p in out.iterdir()) == done  # no temporaries
