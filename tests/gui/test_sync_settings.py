"""Sync Settings to Selected (issue 21, item 5): the photo in the preview passes its strength
and denoise on to the other selected photos as their own, and the batch renders each of them
with those."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMenu

from tests.conftest import save_photo
from tests.gui.conftest import add
from tests.synthetic import dark_rgb
from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.pipeline import enhance_photo
from zdce_gui.main_window import MainWindow
from zdce_gui.queue_model import COLUMNS


@pytest.fixture
def three(window: MainWindow, qtbot, tmp_path: Path) -> MainWindow:
    """The window, shown, with three generated photos queued and the first one previewed."""
    paths = [
        save_photo(tmp_path / "in" / f"{n}.png", dark_rgb(96, 128, seed=i))
        for i, n in enumerate("abc")
    ]
    assert add(window, qtbot, paths) == 3
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)
    return window


def strength_column(window: MainWindow) -> list[str]:
    column = COLUMNS.index("Strength")
    return [str(window.queue.index(r, column).data()) for r in range(len(window.queue.items))]


def select_all(window: MainWindow, qtbot) -> None:
    """Ctrl+A in the queue: every row selected, the current one (the preview) unchanged."""
    window.ui.table.setFocus()
    qtbot.keyClick(window.ui.table, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)


def test_sync_gives_the_others_the_current_photos_strength_and_denoise(three, qtbot, tmp_path):
    window, ui = three, three.ui
    assert ui.table.currentIndex().row() == 0 and not ui.sync_action.isEnabled()
    ui.denoise_combo.setCurrentIndex(ui.denoise_combo.findData(Denoise.HIGH))
    qtbot.mouseClick(ui.own_strength_check, Qt.MouseButton.LeftButton)
    ui.strength_slider.setFocus()
    ui.strength_slider.setValue(30)  # 3.0, the first photo's own strength
    assert window.queue.items[0].strength == 3.0
    select_all(window, qtbot)
    assert ui.sync_action.isEnabled()
    ui.sync_action.trigger()
    assert [(i.strength, i.denoise) for i in window.queue.items[1:]] == [(3.0, Denoise.HIGH)] * 2
    assert strength_column(window)[1:] == ["3.0 (own)"] * 2
    tooltip = window.queue.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "its own settings: strength 3.0, denoise high" in tooltip
    window.grab().save(str(tmp_path / "synced.png"))
    ui.table.selectRow(1)  # a synced photo shows its own settings in the controls
    assert ui.own_strength_check.isChecked() and ui.strength_spin.value() == 3.0
    assert ui.denoise_combo.currentData() is Denoise.HIGH
    ui.table.selectRow(0)
    qtbot.mouseClick(ui.own_strength_check, Qt.MouseButton.LeftButton)  # back to the batch's
    ui.denoise_combo.setCurrentIndex(ui.denoise_combo.findData(Denoise.OFF))  # the batch's
    assert window.settings.denoise is Denoise.OFF and window.queue.items[1].denoise is Denoise.HIGH
    ui.folder_edit.setText(str(tmp_path / "out"))
    ui.format_combo.setCurrentIndex(ui.format_combo.findData("png"))
    qtbot.mouseClick(ui.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    enhancer = window.models.enhancer
    assert enhancer is not None
    for name, seed in (("b", 1), ("c", 2)):
        written = np.asarray(Image.open(tmp_path / "out" / f"{name}_enhanced.png")).astype(int)
        photo = dark_rgb(96, 128, seed=seed)
        synced = enhance_photo(enhancer, photo, Adjustments(3.0, denoise=Denoise.HIGH)).pixels
        assert np.abs(written - synced.astype(int)).max() <= 1
        batch = enhance_photo(enhancer, photo, Adjustments(3.0, denoise=Denoise.OFF)).pixels
        assert np.abs(written - batch.astype(int)).max() > 1  # the photo's own denoise counted


def test_sync_on_auto_puts_the_others_back_on_the_batchs_auto(three, qtbot):
    window, ui = three, three.ui
    ui.table.selectRow(1)
    qtbot.mouseClick(ui.own_strength_check, Qt.MouseButton.LeftButton)
    ui.strength_spin.setValue(5.0)  # the second photo has its own strength
    ui.table.selectRow(0)  # the first follows the batch: auto exposure
    assert ui.auto_check.isChecked()
    select_all(window, qtbot)
    ui.sync_action.trigger()
    assert [i.strength for i in window.queue.items] == [None, None, None]
    assert all(not text.startswith("5.0") for text in strength_column(window))


def test_the_denoise_of_a_synced_photo_is_its_own(three, qtbot):
    window, ui = three, three.ui
    select_all(window, qtbot)
    ui.sync_action.trigger()  # b and c: the batch's auto strength, low denoise of their own
    ui.table.selectRow(2)
    ui.denoise_combo.setCurrentIndex(ui.denoise_combo.findData(Denoise.MEDIUM))
    assert [i.denoise for i in window.queue.items] == [None, Denoise.LOW, Denoise.MEDIUM]
    assert window.settings.denoise is Denoise.LOW  # the batch's is unchanged
    ui.table.selectRow(0)
    assert ui.denoise_combo.currentData() is Denoise.LOW


def test_the_queues_context_menu_offers_sync(three, qtbot):
    window = three
    window.ui.table.customContextMenuRequested.emit(QPoint(5, 5))
    menus = window.ui.table.findChildren(QMenu)
    assert menus and window.ui.sync_action in menus[-1].actions()
