"""Presets in the app (issue 21, item 3): the chooser applies one to the controls, "Save
Settings as Preset…" writes one that ``zdce enhance --preset`` uses with the same result."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from tests.conftest import save_photo
from tests.gui.conftest import add
from zdce_core.adjustments import Denoise
from zdce_core.cli import main
from zdce_core.outputs import FolderRule, Unchanged
from zdce_core.presets import list_presets, user_presets_dir
from zdce_gui.main_window import MainWindow
from zdce_gui.preset_controller import CHOOSE_TEXT


def choose(combo, data) -> None:
    combo.setCurrentIndex(combo.findData(data))


def wait_presets(window: MainWindow, qtbot) -> None:
    qtbot.waitUntil(lambda: not window.presets.pool.workers, timeout=10_000)


def choose_preset(window: MainWindow, name: str) -> None:
    combo = window.ui.preset_combo
    index = next(i for i in range(combo.count()) if combo.itemText(i).startswith(name))
    combo.setCurrentIndex(index)


def test_choosing_a_built_in_preset_sets_the_controls(window, qtbot):
    wait_presets(window, qtbot)
    ui = window.ui
    choose_preset(window, "Night — keep it dark")
    assert ui.target_spin.value() == 0.3 and ui.auto_check.isChecked()
    assert ui.denoise_combo.currentData() is Denoise.MEDIUM
    assert window.settings.denoise is Denoise.MEDIUM and window.settings.target_brightness == 0.3
    assert ui.preset_combo.currentText() == CHOOSE_TEXT  # ready to apply one again
    assert "“Night — keep it dark” applied" in ui.status_label.text()


def test_a_preset_saved_in_the_app_drives_the_cli_to_the_same_result(window, qtbot, tmp_path):
    photos = tmp_path / "photos"
    save_photo(photos / "a.png")
    add(window, qtbot, [photos])
    wait_presets(window, qtbot)
    ui = window.ui
    ui.auto_check.setChecked(False)
    ui.strength_spin.setValue(3.0)
    ui.target_spin.setValue(0.4)
    ui.highlights_check.setChecked(False)
    choose(ui.denoise_combo, Denoise.OFF)
    ui.folder_edit.setText(str(tmp_path / "app"))
    ui.name_edit.setText("{name}-{strength}")
    choose(ui.format_combo, "png")
    ui.long_edge_spin.setValue(32)
    choose(ui.unchanged_combo, Unchanged.WRITE)
    window.asker.answers.append("My look")
    qtbot.mouseClick(ui.save_preset_button, Qt.MouseButton.LeftButton)
    wait_presets(window, qtbot)
    assert (user_presets_dir() / "My look.json").is_file()
    assert any(
        ui.preset_combo.itemText(i) == "My look (yours)" for i in range(ui.preset_combo.count())
    )
    saved = next(p for p in list_presets()[0] if p.name == "My look")
    assert saved.adjustments.strength == 3.0 and saved.adjustments.target_brightness == 0.4
    assert not saved.adjustments.protect_highlights and saved.adjustments.denoise is Denoise.OFF
    assert saved.folder_rule is FolderRule.CHOSEN and saved.folder == str(tmp_path / "app")

    qtbot.mouseClick(ui.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    model = ["--model", ui.model_combo.currentData(), "--device", "cpu"]
    cli = tmp_path / "cli"
    assert main(["enhance", str(photos), "--preset", "My look", "-o", str(cli), *model]) == 0
    app_pixels = np.asarray(Image.open(tmp_path / "app" / "a-3.0.png"))
    cli_pixels = np.asarray(Image.open(cli / "a-3.0.png"))
    assert app_pixels.shape == (24, 32, 3)
    assert np.array_equal(app_pixels, cli_pixels)


def test_save_settings_as_preset_from_the_menu_refuses_a_bad_name(window, qtbot):
    wait_presets(window, qtbot)
    window.asker.answers.append("../escape")
    window.ui.save_preset_action.trigger()
    title, message = window.asker.shown[-1]
    assert title == "Cannot save the preset" and "not a usable preset name" in message
    assert not user_presets_dir().exists()


def test_replacing_a_preset_is_asked(window, qtbot):
    wait_presets(window, qtbot)
    window.asker.answers.append("Mine")
    window.ui.save_preset_action.trigger()
    wait_presets(window, qtbot)
    window.ui.quality_spin.setValue(70)
    window.asker.answers.extend(["Mine", False])  # the name, then "no" to replacing
    window.ui.save_preset_action.trigger()
    wait_presets(window, qtbot)
    assert window.asker.asked[-1] == "Replace the preset?"
    assert next(p for p in list_presets()[0] if p.name == "Mine").quality == 95
    window.asker.answers.extend(["Mine", True])
    window.ui.save_preset_action.trigger()
    wait_presets(window, qtbot)
    assert next(p for p in list_presets()[0] if p.name == "Mine").quality == 70


def test_a_corrupt_preset_file_is_told_and_left_out(make_window, qtbot):
    folder = user_presets_dir()
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("[1, 2", encoding="utf-8")
    window = make_window()
    wait_presets(window, qtbot)
    assert window.asker.shown[0][0] == "Some presets were ignored"
    names = [window.ui.preset_combo.itemText(i) for i in range(window.ui.preset_combo.count())]
    assert names == [CHOOSE_TEXT, "Natural", "Night — keep it dark", "Bright interior"]
