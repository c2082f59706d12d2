from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from tests.conftest import brightening_net
from zdce_core.weights import save_model
from zdce_gui.main_window import MainWindow


@pytest.fixture
def settings_path(tmp_path: Path) -> Path:
    return tmp_path / "settings.ini"


@pytest.fixture
def make_window(qtbot, user_home: Path, settings_path: Path):
    """Build main windows on an INI file, with a brightening model installed as a user model."""
    save_model(brightening_net(), user_home / "models" / "bright.safetensors")
    windows = []

    def make() -> MainWindow:
        window = MainWindow(QSettings(str(settings_path), QSettings.Format.IniFormat))
        window.quiet = True
        qtbot.addWidget(window)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.shutdown()


@pytest.fixture
def window(make_window) -> MainWindow:
    return make_window()


def add(window: MainWindow, qtbot, paths: list[Path]) -> int:
    """Queue ``paths`` and wait for the search to finish; returns how many rows were added."""
    window.add_paths(paths)
    qtbot.waitUntil(lambda: window.discovering == 0, timeout=10_000)
    return window.last_added
