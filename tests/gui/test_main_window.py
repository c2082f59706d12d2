import inspect
import itertools
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from tests.conftest import brightening_net, dark_rgb, darkening_net, save_photo
from tests.gui.conftest import add, import_model
from zdce_core import batch
from zdce_core import enhancer as enh
from zdce_core.adjustments import Denoise
from zdce_core.weights import save_model
from zdce_gui.compare_view import ViewMode
from zdce_gui.queue_model import COLUMNS, RowState


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "night"
    save_photo(folder / "a.jpg")
    save_photo(folder / "b.png", dark_rgb(seed=1))
    save_photo(folder / "sub" / "c.png", dark_rgb(seed=2))
    (folder / "notes.txt").write_text("not a photo")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8 garbage")
    return folder


def statuses(window) -> dict[str, str]:
    return {item.path.name: item.status for item in window.queue.items}


def test_add_folder_with_and_without_subfolders(window, photos, qtbot):
    window.ui.recursive_check.setChecked(False)
    add(window, qtbot, [photos])
    assert set(statuses(window)) == {"a.jpg", "b.png", "broken.jpg"}  # notes.txt left out
    window.ui.clear_button.click()
    window.ui.recursive_check.setChecked(True)
    add(window, qtbot, [photos])
    assert "c.png" in statuses(window)
    assert add(window, qtbot, [photos]) == 0  # nothing queued twice


def test_add_files_and_drop(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    assert list(statuses(window)) == ["a.jpg"]
    mime = QMimeData()
    mime.setUrls(
        [QUrl.fromLocalFile(str(photos / "b.png")), QUrl.fromLocalFile(str(photos / "sub"))]
    )
    drop = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    window.dropEvent(drop)
    qtbot.waitUntil(lambda: window.queue_ctl.discovering == 0, timeout=10_000)
    assert set(statuses(window)) == {"a.jpg", "b.png", "c.png"}


def test_bad_files_show_why(window, photos, qtbot):
    add(window, qtbot, [photos])
    assert window.queue.row_of(photos / "notes.txt") < 0  # not a photo: not queued
    broken = window.queue.row_of(photos / "broken.jpg")
    window.ui.table.selectRow(broken)
    qtbot.waitUntil(lambda: window.queue.items[broken].status is RowState.FAILED, timeout=10_000)
    assert (
        "corrupt" in window.queue.items[broken].reason
        or "not an image" in window.queue.items[broken].reason
    )


def rendered_mean(window, qtbot, strength: float) -> float:
    window.ui.strength_spin.setValue(strength)
    qtbot.waitUntil(lambda: not window.preview.full_render_timer.isActive(), timeout=10_000)
    qtbot.waitUntil(
        lambda: not window.preview.renders.running and window.preview.renders.waiting is None,
        timeout=10_000,
    )
    qtbot.wait(20)
    image = window.ui.view.after
    return float(np.asarray(image.constBits()).mean())


def test_strength_slider_drives_the_preview(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(
        lambda: window.preview.current is not None and window.ui.view.after is not None,
        timeout=10_000,
    )
    means = []
    for value in (0, 10, 30, 55, 80):  # slider steps of 0.1
        window.ui.strength_slider.setValue(value)
        means.append(rendered_mean(window, qtbot, value / 10))
    assert all(b > a for a, b in itertools.pairwise(means))
    assert means[0] == pytest.approx(
        float(np.asarray(window.ui.view.before.constBits()).mean()), abs=0.5
    )


def test_moving_the_slider_shows_drafts_then_the_full_preview(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.ui.view.after is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not window.preview.renders.running, timeout=10_000)
    full_width = window.ui.view.before.width()
    assert window.ui.view.after.width() == full_width
    start = window.ui.strength_slider.value()
    window.ui.strength_slider.setFocus()
    for _ in range(3):
        qtbot.keyClick(window.ui.strength_slider, Qt.Key.Key_PageUp)
    qtbot.waitUntil(lambda: window.ui.view.after.width() == full_width // 2, timeout=10_000)
    assert window.preview.full_render_timer.isActive()  # the slider has not rested yet
    qtbot.waitUntil(lambda: window.ui.view.after.width() == full_width, timeout=10_000)
    assert window.ui.strength_slider.value() > start and not window.ui.auto_check.isChecked()


def test_per_image_strength_override(window, photos, qtbot, tmp_path):
    add(window, qtbot, [photos / "a.jpg", photos / "b.png"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)
    window.ui.own_strength_check.setChecked(True)
    window.ui.strength_spin.setValue(0.0)
    assert window.queue.items[0].strength == 0.0 and window.queue.items[1].strength is None
    assert window.settings.strength is None  # the batch stays on auto exposure
    window.ui.folder_edit.setText(str(tmp_path / "out"))
    window.ui.format_combo.setCurrentIndex(window.ui.format_combo.findData("png"))
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    same = np.asarray(Image.open(tmp_path / "out" / "a_enhanced.png"))
    assert np.abs(same.astype(int) - np.asarray(Image.open(photos / "a.jpg"))).max() <= 1
    brighter = np.asarray(Image.open(tmp_path / "out" / "b_enhanced.png"))
    assert brighter.mean() > dark_rgb(seed=1).mean() + 20
    column = COLUMNS.index("Strength")
    shown = [window.queue.index(r, column).data() for r in range(2)]
    assert shown[0] == "0.0 (own)" and shown[1].startswith("auto ")


def test_full_conversion_writes_outputs_beside_the_folder(window, photos, qtbot):
    add(window, qtbot, [photos])
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    out = photos.parent / "night-enhanced"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["a_enhanced.jpg", "b_enhanced.png", "sub/c_enhanced.png"]
    s = statuses(window)
    assert s["a.jpg"] is RowState.DONE and s["broken.jpg"] is RowState.FAILED
    assert "notes.txt" not in s
    assert window.batch.last_summary.done == 3 and window.batch.last_summary.failed == 1
    assert window.ui.progress.value() == window.ui.progress.maximum() == 4
    row = window.queue.row_of(photos / "a.jpg")
    assert window.queue.items[row].output == out / "a_enhanced.jpg"


def hold_mid_render(monkeypatch, name: str) -> None:
    """Batches render ``name`` for a few strips, then wait there until cancelled: the cancel
    lands mid-photo whatever the machine's speed (the test waited for a first photo done,
    then cancelled, and under load the other photos were done by then)."""
    process = batch._process
    signature = inspect.signature(process)

    def held(*args, **kwargs):
        named = signature.bind(*args, **kwargs).arguments
        should_stop, strips = named["should_stop"], itertools.count()

        def stop_mid_render() -> bool:
            while next(strips) >= 3 and not should_stop():
                time.sleep(0.01)
            return should_stop()

        if named["found"].path.name == name:
            named["should_stop"] = stop_mid_render
        return process(**named)

    monkeypatch.setattr(batch, "_process", held)


def test_cancel_mid_batch_leaves_no_partial_file(window, tmp_path, qtbot, monkeypatch):
    monkeypatch.setattr(enh, "STRIP_ELEMENTS", 3 * 400 * 2)
    hold_mid_render(monkeypatch, "1.png")
    for i in range(4):
        save_photo(tmp_path / "big" / f"{i}.png", dark_rgb(300, 400, seed=i))
    add(window, qtbot, [tmp_path / "big"])
    window.ui.folder_edit.setText(str(tmp_path / "out"))
    window.ui.start_button.click()
    # 1.png is held mid-render; cancelling as soon as 0.png was done raced the batch, which
    # could see the cancel before it started 1.png (nothing then in progress to cancel)
    qtbot.waitUntil(lambda: window.queue.items[1].status is RowState.WORKING, timeout=30_000)
    window.ui.cancel_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    assert window.batch.last_summary.cancelled
    out = tmp_path / "out"  # small photos run two at once: 0.png may be cancelled too
    files = sorted(p.name for p in out.iterdir()) if out.exists() else []
    done = [i for i in window.queue.items if i.status is RowState.DONE]
    assert len(files) == len(done) < 4
    assert all(not f.endswith(".part") for f in files)
    states = {RowState.DONE, RowState.QUEUED, RowState.CANCELLED}
    assert all(i.status in states for i in window.queue.items)
    assert any(i.status is RowState.CANCELLED for i in window.queue.items)


def test_a_running_batch_keeps_its_model(window, tmp_path, qtbot, monkeypatch):
    """While a batch runs, the model cannot be changed: neither chosen nor imported (an import
    made the imported model the one in use while the batch still wrote with the old one)."""
    monkeypatch.setattr(enh, "STRIP_ELEMENTS", 3 * 400 * 2)
    hold_mid_render(monkeypatch, "0.png")
    save_photo(tmp_path / "big" / "0.png", dark_rgb(300, 400, seed=0))
    add(window, qtbot, [tmp_path / "big"])
    ui = window.ui
    ui.folder_edit.setText(str(tmp_path / "out"))
    ui.start_button.click()
    qtbot.waitUntil(lambda: window.batch.running, timeout=10_000)
    controls = (ui.model_combo, ui.import_button, ui.import_action, ui.device_combo)
    assert not any(c.isEnabled() for c in controls)
    ui.cancel_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    assert all(c.isEnabled() for c in controls)


def test_settings_round_trip(make_window, tmp_path):
    first = make_window()
    first.ui.folder_edit.setText(str(tmp_path / "out"))
    first.ui.suffix_edit.setText("-bright")
    first.ui.format_combo.setCurrentIndex(first.ui.format_combo.findData("webp"))
    first.ui.quality_spin.setValue(80)
    first.ui.metadata_check.setChecked(False)
    first.ui.overwrite_check.setChecked(True)
    first.ui.strength_spin.setValue(5.5)
    first.ui.mode_combo.setCurrentIndex(1)
    first.close()
    second = make_window()
    assert second.ui.folder_edit.text() == str(tmp_path / "out")
    assert second.ui.suffix_edit.text() == "-bright"
    assert second.ui.format_combo.currentData() == "webp" and second.ui.quality_spin.value() == 80
    assert not second.ui.metadata_check.isChecked()
    assert not second.ui.overwrite_check.isChecked()  # never remembered: a dangerous default
    assert (
        second.preview.strength() == 5.5
        and second.ui.mode_combo.currentData() is ViewMode.SIDE_BY_SIDE
    )
    assert second.ui.model_combo.currentText() == first.ui.model_combo.currentText()


def test_import_model_makes_it_selectable(window, tmp_path, user_home, qtbot):
    path = save_model(brightening_net("dcenet++"), tmp_path / "pp.safetensors")
    import_model(window, qtbot, path)
    assert window.ui.model_combo.currentText() == "pp (yours)"
    assert (user_home / "models" / "pp.safetensors").is_file()
    assert window.models.enhancer is not None and window.models.enhancer.model.arch == "dcenet++"


def test_no_model_disables_start(make_window, user_home, monkeypatch, tmp_path, photos, qtbot):
    monkeypatch.setattr("zdce_core.model_store.bundled_models_dir", lambda: tmp_path / "none")
    (user_home / "models" / "bright.safetensors").unlink()
    window = make_window()
    add(window, qtbot, [photos])
    assert window.models.enhancer is None and not window.ui.start_button.isEnabled()
    assert "import" in window.ui.view.message.lower()


def test_smoke_test(tmp_path, user_home):
    model = save_model(brightening_net(), tmp_path / "m.safetensors")
    result = subprocess.run(
        [sys.executable, "-m", "zdce_gui.app", "--smoke-test", "--model", str(model)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "smoke test passed" in result.stdout


def test_space_in_the_queue_shows_the_original(window, photos, qtbot):
    from PySide6.QtTest import QTest

    add(window, qtbot, [photos / "a.jpg"])
    QTest.keyPress(window.ui.table, Qt.Key.Key_Space)
    assert window.ui.view.showing_original
    QTest.keyRelease(window.ui.table, Qt.Key.Key_Space)
    assert not window.ui.view.showing_original


def test_selecting_an_image_without_override_shows_the_batch_strength(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg", photos / "b.png"])
    window.ui.table.selectRow(0)
    window.ui.strength_spin.setValue(6.0)  # batch strength
    window.ui.own_strength_check.setChecked(True)
    window.ui.strength_spin.setValue(2.0)  # a.jpg's own
    window.ui.table.selectRow(1)
    assert window.preview.strength() == 6.0 and not window.ui.own_strength_check.isChecked()
    window.ui.table.selectRow(0)
    assert window.preview.strength() == 2.0 and window.ui.own_strength_check.isChecked()


def click_checkbox(qtbot, box) -> None:
    """Click a checkbox on its indicator, as a user does."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def test_auto_strength_and_denoise_controls(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    assert window.ui.auto_check.isChecked() and window.preview.strength() is None  # auto by default
    window.ui.table.selectRow(0)
    column = COLUMNS.index("Strength")
    qtbot.waitUntil(lambda: window.queue.items[0].chosen is not None, timeout=10_000)  # rendered
    assert str(window.queue.index(0, column).data()).startswith("auto ")
    chosen = window.queue.items[0].chosen
    assert (
        chosen is not None and chosen[1] and window.ui.strength_spin.value() == round(chosen[0], 1)
    )
    click_checkbox(qtbot, window.ui.auto_check)  # off: manual, at the strength auto had chosen
    assert window.preview.strength() == round(chosen[0], 1) and window.settings.strength is not None
    window.ui.strength_slider.setValue(30)  # moving the slider is manual too
    assert not window.ui.auto_check.isChecked() and window.settings.strength == 3.0
    click_checkbox(qtbot, window.ui.auto_check)
    assert window.settings.strength is None
    qtbot.keyClicks(window.ui.denoise_combo, "High")  # typing selects, as in any combo box
    assert window.preview.adjustments(None).denoise is Denoise.HIGH
    assert window.settings.denoise is Denoise.HIGH


def test_auto_clears_an_images_own_strength(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.selectRow(0)
    window.ui.strength_spin.setValue(6.0)  # the batch: manual 6.0
    window.ui.own_strength_check.setChecked(True)
    window.ui.strength_spin.setValue(2.0)  # a.jpg: its own 2.0
    click_checkbox(qtbot, window.ui.auto_check)
    assert window.ui.auto_check.isChecked() and not window.ui.own_strength_check.isChecked()
    assert window.queue.items[0].strength is None and window.settings.strength is None


def test_a_change_during_an_auto_render_is_rendered_after_it(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.ui.view.after is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not window.preview.renders.running, timeout=10_000)
    window.preview.renders.running = True  # as if a render were running
    window.ui.denoise_combo.setCurrentIndex(window.ui.denoise_combo.findText("High"))
    assert window.preview.renders.waiting  # auto mode (strength None) still queues the change
    window.preview.render_finished()
    qtbot.waitUntil(
        lambda: not window.preview.renders.running and window.preview.renders.waiting is None,
        timeout=10_000,
    )


def test_a_model_that_crushes_the_preview_shows_why_instead_of_a_black_picture(
    window, photos, qtbot, tmp_path
):
    path = save_model(darkening_net(), tmp_path / "crusher.safetensors")
    import_model(window, qtbot, path)
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: "black" in window.ui.view.message, timeout=10_000)
    assert window.ui.view.after is None and window.ui.view.before is not None
    assert window.ui.view.message.startswith("a.jpg: the model turned")


def test_zoom_label_follows_the_view_mode(window, tmp_path, qtbot):
    window.show()
    add(window, qtbot, [save_photo(tmp_path / "wide.png", dark_rgb(300, 1600))])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)
    split = window.ui.zoom_label.text()
    window.ui.mode_combo.setCurrentIndex(window.ui.mode_combo.findData(ViewMode.SIDE_BY_SIDE))
    assert window.ui.zoom_label.text() != split and window.ui.zoom_label.text().endswith("%")


def test_after_clicking_fit_space_still_shows_the_original(window, photos, qtbot):
    from PySide6.QtTest import QTest

    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.setFocus()
    qtbot.mouseClick(window.ui.fit_button, Qt.MouseButton.LeftButton)
    assert not window.ui.fit_button.hasFocus()
    focused = window.focusWidget() or window.ui.table
    QTest.keyPress(focused, Qt.Key.Key_Space)
    assert window.ui.view.showing_original
    QTest.keyRelease(focused, Qt.Key.Key_Space)


def test_the_histogram_shows_before_and_after(window, photos, qtbot):
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.table.selectRow(0)
    hist = window.ui.histogram
    qtbot.waitUntil(lambda: hist.before is not None and hist.after is not None, timeout=10_000)
    assert hist.after.mean > hist.before.mean  # the brightening model lifts the photo
    assert abs(float(hist.before.counts.sum()) - 1.0) < 1e-6


def test_open_output_folder_says_where_when_nothing_opens_it(
    window, photos, qtbot, tmp_path, monkeypatch
):
    from PySide6.QtGui import QDesktopServices

    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)
    add(window, qtbot, [photos / "a.jpg"])
    window.ui.folder_edit.setText(str(tmp_path / "out"))
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    qtbot.mouseClick(window.ui.open_output_button, Qt.MouseButton.LeftButton)
    title, message = window.asker.shown[-1]
    assert title == "Cannot open the output folder" and str(tmp_path / "out") in message


def test_every_menu_action_does_something(window, photos, qtbot, tmp_path, monkeypatch):
    """Trigger each menu action as a user does; each must change what the user sees."""
    from PySide6.QtGui import QDesktopServices

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: bool(opened.append(url)) or True)
    ui, asker = window.ui, window.asker
    asker.answers.append([photos / "a.jpg"])
    ui.add_files_action.trigger()
    qtbot.waitUntil(lambda: len(window.queue.items) == 1, timeout=10_000)
    asker.answers.append(photos / "sub")
    ui.add_folder_action.trigger()
    qtbot.waitUntil(lambda: len(window.queue.items) == 2, timeout=10_000)
    ui.table.selectRow(1)
    ui.remove_action.trigger()
    assert [i.path.name for i in window.queue.items] == ["a.jpg"]
    ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.preview.current is not None, timeout=10_000)
    ui.actual_action.trigger()
    assert not ui.view.fit and ui.view.current_scale() == 1.0
    ui.fit_action.trigger()
    assert ui.view.fit
    ui.folder_edit.setText(str(tmp_path / "out"))
    ui.start_action.trigger()
    assert window.batch.running and ui.cancel_action.isEnabled()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    ui.open_output_action.trigger()
    assert opened[-1].toLocalFile() == str(tmp_path / "out")
    ui.models_folder_action.trigger()
    assert opened[-1].toLocalFile().endswith("models")
    ui.train_action.trigger()
    assert window.models.training_dialog is not None
    assert window.models.training_dialog.isVisible()
    ui.manage_action.trigger()
    from zdce_gui.model_manager import ModelManager

    assert any(m.isVisible() for m in window.findChildren(ModelManager))
    ui.shortcuts_action.trigger()
    from zdce_gui.dialogs import ShortcutsDialog

    assert any(d.isVisible() for d in window.findChildren(ShortcutsDialog))
    ui.about_action.trigger()
    assert asker.shown[-1][0] == "About zdce" and "Model: default" in asker.shown[-1][1]
    asker.answers.append([tmp_path / "none.safetensors"])
    ui.import_action.trigger()
    qtbot.waitUntil(lambda: asker.shown[-1][0] == "Cannot import model", timeout=10_000)
    ui.quit_action.trigger()
    assert not window.isVisible()


def test_every_button_of_the_queue_and_output_box(window, photos, qtbot, tmp_path):
    ui, asker = window.ui, window.asker
    asker.answers.append([photos / "a.jpg", photos / "b.png"])
    qtbot.mouseClick(ui.add_files_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.queue.items) == 2, timeout=10_000)
    asker.answers.append(photos / "sub")
    qtbot.mouseClick(ui.add_folder_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.queue.items) == 3, timeout=10_000)
    ui.table.selectRow(0)
    qtbot.mouseClick(ui.remove_button, Qt.MouseButton.LeftButton)
    assert [i.path.name for i in window.queue.items] == ["b.png", "c.png"]
    qtbot.mouseClick(ui.clear_button, Qt.MouseButton.LeftButton)
    assert not window.queue.items and ui.view.before is None
    asker.answers.append(tmp_path / "chosen")
    qtbot.mouseClick(ui.browse_button, Qt.MouseButton.LeftButton)
    assert ui.folder_edit.text() == str(tmp_path / "chosen")
    asker.answers.append([save_model(brightening_net("dcenet++"), tmp_path / "pp.safetensors")])
    qtbot.mouseClick(ui.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ui.model_combo.currentText() == "pp (yours)", timeout=10_000)
    assert asker.asked == [
        "Add photos",
        "Add a folder of photos",
        "Output folder",
        "Import a model",
    ]


def test_a_raw_file_previews_and_converts_to_16_bit_tiff(window, tmp_path, qtbot):
    from tests.raw_samples import write_dng
    from zdce_core.image_io import read_image

    (tmp_path / "raw").mkdir()
    write_dng(tmp_path / "raw" / "night.dng")
    add(window, qtbot, [tmp_path / "raw"])
    window.ui.table.selectRow(0)
    qtbot.waitUntil(lambda: window.ui.view.after is not None, timeout=10_000)
    assert window.preview.current is not None and window.preview.current.full_size == (64, 96)
    window.ui.folder_edit.setText(str(tmp_path / "out"))
    qtbot.mouseClick(window.ui.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    assert read_image(tmp_path / "out" / "night_enhanced.tif").bit_depth == 16


def test_a_batch_stopped_by_an_unexpected_error_leaves_no_row_in_progress(
    window, tmp_path, qtbot, monkeypatch
):
    """Small photos are in progress several at once: when the batch stops on an error no
    photo's own handling expected, none of their rows is left showing progress."""
    process = batch._process

    def broken(*args, **kwargs):
        if args[2].path.name == "2.png":
            raise LookupError("a bug")
        return process(*args, **kwargs)

    monkeypatch.setattr(batch, "_process", broken)
    for i in range(4):
        save_photo(tmp_path / "night" / f"{i}.png", dark_rgb(60, 80, seed=i))
    add(window, qtbot, [tmp_path / "night"])
    window.ui.folder_edit.setText(str(tmp_path / "out"))
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: window.batch.worker is None, timeout=30_000)
    assert [title for title, _message in window.asker.shown] == ["Conversion stopped"]
    assert not any(i.status is RowState.WORKING for i in window.queue.items)
    assert window.ui.status_label.text().startswith("The conversion stopped: a bug")
