"""What the preview shows when the selection changes or the queue is cleared."""

from pathlib import Path

from PySide6.QtCore import QPointF, Qt

from tests.conftest import dark_rgb, save_photo
from tests.gui.conftest import add
from tests.gui.test_compare_view import wheel
from zdce_gui.compare_view import PLACEHOLDER


def shown(window, name: str) -> bool:
    current = window.preview.current
    return current is not None and current.path.name == name


def test_the_next_photo_opens_fitted_after_zooming_the_previous_one(window, tmp_path, qtbot):
    window.show()
    paths = [save_photo(tmp_path / f"{n}.png", dark_rgb(900, 1200, seed=n)) for n in (1, 2)]
    add(window, qtbot, paths)  # the first row is selected
    qtbot.waitUntil(lambda: shown(window, "1.png"), timeout=10_000)
    view, label = window.ui.view, window.ui.zoom_label
    fitted = label.text()
    wheel(view, QPointF(view.width() / 3, view.height() / 2), clicks=2)
    assert not view.fit and label.text() != fitted
    window.ui.table.selectRow(1)
    qtbot.waitUntil(lambda: shown(window, "2.png"), timeout=10_000)
    assert view.fit and label.text() == fitted
    window.grab().save(str(tmp_path / "next-photo.png"))


def test_clear_empties_the_preview_and_the_progress_bar(window, tmp_path, qtbot):
    window.show()
    add(window, qtbot, [save_photo(tmp_path / "in" / "city.png", dark_rgb(300, 400))])
    qtbot.waitUntil(lambda: shown(window, "city.png"), timeout=10_000)
    ui = window.ui
    ui.folder_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(ui.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    assert ui.progress.text() == "1 / 1" and ui.view.message.startswith("city.png — 400×300")
    window.grab().save(str(tmp_path / "before-clear.png"))
    qtbot.mouseClick(ui.clear_button, Qt.MouseButton.LeftButton)
    assert ui.view.before is None and ui.view.after is None
    assert ui.view.message == PLACEHOLDER and ui.zoom_label.text() == ""
    assert ui.progress.text() == "" and ui.progress.value() < ui.progress.minimum()
    window.grab().save(str(tmp_path / "after-clear.png"))


def test_clear_then_adding_a_photo_opens_it_fitted(window, tmp_path, qtbot):
    window.show()
    path: Path = save_photo(tmp_path / "big.png", dark_rgb(900, 1200))
    add(window, qtbot, [path])
    qtbot.waitUntil(lambda: shown(window, "big.png"), timeout=10_000)
    fitted = window.ui.zoom_label.text()
    window.ui.actual_button.click()
    qtbot.mouseClick(window.ui.clear_button, Qt.MouseButton.LeftButton)
    add(window, qtbot, [path])
    qtbot.waitUntil(lambda: shown(window, "big.png"), timeout=10_000)
    assert window.ui.view.fit and window.ui.zoom_label.text() == fitted
