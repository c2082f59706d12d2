"""The Strength column's "auto 5.3" is the strength the batch will choose: estimated for
the target brightness and highlight protection the controls show, again when they change."""

import pytest
from PySide6.QtCore import Qt

from tests.gui.conftest import add
from tests.synthetic import dark_rgb, dark_scene, save_photo
from zdce_core.adjustments import Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import read_image
from zdce_core.model_store import open_model
from zdce_core.pipeline import enhance_photo
from zdce_gui.queue_controller import auto_strength
from zdce_gui.queue_model import COLUMNS


def test_the_estimate_of_a_large_grainy_jpeg_is_the_batchs_strength(tmp_path):
    path = save_photo(tmp_path / "night.jpg", dark_scene(0.3, (2400, 3600), 0.1), quality=92)
    enhancer = Enhancer(open_model(None), "cpu")
    batch = enhance_photo(enhancer, read_image(path).pixels, Adjustments())
    assert batch.strength < 8.0  # aimed lower for its grain
    assert auto_strength(enhancer, path, Adjustments()) == pytest.approx(batch.strength, abs=0.2)


def test_a_new_target_brightness_estimates_the_auto_strengths_again(window, qtbot, tmp_path):
    paths = [save_photo(tmp_path / f"{i}.png", dark_rgb(seed=i)) for i in range(3)]
    assert add(window, qtbot, paths) == 3
    items, column = window.queue.items, COLUMNS.index("Strength")
    qtbot.waitUntil(lambda: all(item.auto_estimate is not None for item in items), timeout=20_000)
    before = [item.auto_estimate for item in items]

    spin = window.ui.target_spin  # the user types a darker target
    spin.setFocus()
    spin.selectAll()
    qtbot.keyClicks(spin, "0.25")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    enhancer, look = window.session.enhancer, window.session.batch_adjustments()
    assert enhancer is not None and look.target_brightness == 0.25
    wanted = [auto_strength(enhancer, path, look) for path in paths]
    assert wanted[2] < before[2] - 0.5  # the darker target asks for less

    def shown(row: int) -> str:
        return window.queue.index(row, column).data()

    never_previewed = [row for row, item in enumerate(items) if item.chosen is None]
    assert never_previewed
    qtbot.waitUntil(
        lambda: all(shown(row) == f"auto {wanted[row]:.1f}" for row in never_previewed),
        timeout=20_000,
    )
