import gc
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.conftest import brightening_net
from zdce_core.weights import save_model
from zdce_gui.dialogs import ScriptedAsker
from zdce_gui.gui_gc import GuiCollector
from zdce_gui.main_window import MainWindow
from zdce_gui.model_controller import LoadState


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def make_window(qtbot, user_home: Path, settings_path: Path):
    """Build main windows on an INI file, with a brightening model installed as a user model;
    each answers its questions through a :class:`ScriptedAsker` (``window.asker``). The model
    has loaded (in a worker) when a window is handed out. Garbage is collected on the GUI
    thread, as the app does (:class:`GuiCollector`), and once more when the test is over."""
    save_model(brightening_net(), user_home / "models" / "bright.safetensors")
    windows = []
    collector = GuiCollector()

    def make() -> MainWindow:
        store = QSettings(str(settings_path), QSettings.Format.IniFormat)
        window = MainWindow(store, ScriptedAsker())
        qtbot.addWidget(window)
        windows.append(window)
        qtbot.waitUntil(lambda: window.models.state is not LoadState.LOADING, timeout=10_000)
        return window

    yield make
    for window in windows:
        window.shutdown()
    collector.stop()
    gc.collect()  # the closed windows' cycles, here rather than on a later test's worker


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def add(window: MainWindow, qtbot, paths: list[Path]) -> int:
    """Queue ``paths`` and wait for the search to finish; returns how many rows were added."""
    window.queue_ctl.add_paths(paths)
    qtbot.waitUntil(lambda: window.queue_ctl.discovering == 0, timeout=10_000)
    return window.queue_ctl.last_added


def import_model(window: MainWindow, qtbot, path: Path) -> None:
    """Import ``path`` as Model → Import Model… does, the file dialog answering ``path``."""
    window.asker.answers.append([path])
    window.ui.import_action.trigger()
    qtbot.waitUntil(lambda: not window.models.pool.workers, timeout=10_000)
