"""The look's "Correct casts" box: a user who wants a sodium-lit street as shot unticks it,
the preview shows it so at once, and the choice is kept for the next start."""

import numpy as np
from PySide6.QtCore import Qt

from tests.conftest import save_photo
from tests.gui.conftest import add
from tests.gui.test_model_compare import pixels
from tests.synthetic import tinted
from zdce_core.batch_events import CAST_NOTE
from zdce_gui.main_layout import KEEP_CAST


def red_over_green(window) -> float:
    rgb = pixels(window.ui.view.after).astype(np.float64)
    return float(rgb[..., 0].mean() / rgb[..., 1].mean())


def settled(window, qtbot) -> None:
    qtbot.waitUntil(lambda: window.ui.view.after is not None, timeout=10_000)
    qtbot.waitUntil(
        lambda: not window.preview.renders.running and window.preview.renders.waiting is None,
        timeout=10_000,
    )
    qtbot.wait(20)


def test_unticking_correct_casts_keeps_the_sodium_light_as_shot(make_window, qtbot, tmp_path):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    photo = save_photo(tmp_path / "sodium.png", tinted(3.5, 0.3))
    add(window, qtbot, [photo])
    window.ui.table.selectRow(0)
    assert window.ui.cast_check.isChecked()  # the default: casts corrected
    settled(window, qtbot)
    corrected = red_over_green(window)
    qtbot.mouseClick(window.ui.cast_check, Qt.MouseButton.LeftButton)
    assert not window.settings.correct_cast
    qtbot.waitUntil(lambda: red_over_green(window) > corrected + 0.1, timeout=10_000)
    window.close()  # as the user quits: the settings are saved
    again = make_window()
    assert not again.ui.cast_check.isChecked()
    assert not again.session.batch_adjustments().correct_cast


def test_a_row_whose_cast_was_corrected_says_how_to_keep_it(make_window, qtbot, tmp_path):
    window = make_window()
    window.show()
    qtbot.waitExposed(window)
    photo = save_photo(tmp_path / "night" / "sodium.png", tinted(3.5, 0.3))
    add(window, qtbot, [photo])
    qtbot.mouseClick(window.ui.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    item = window.queue.items[0]
    assert item.reason == f"{CAST_NOTE} (untick Correct casts to keep it as shot)"
    assert item.reason.endswith(f"({KEEP_CAST})")
