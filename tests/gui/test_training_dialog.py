from pathlib import Path

import pytest

from tests.conftest import dark_rgb, save_photo
from tests.gui.conftest import add
from zdce_core.cli import main as cli_main
from zdce_core.model_store import list_models
from zdce_core.training import read_checkpoint_info
from zdce_gui.model_manager import ModelManager
from zdce_gui.training_dialog import TrainingDialog


@pytest.fixture
def dark_folder(tmp_path: Path) -> Path:
    for i in range(10):
        save_photo(tmp_path / "dark" / f"{i:02d}.png", dark_rgb(48, 64, seed=i))
    return tmp_path / "dark"


@pytest.fixture
def dialog(window, qtbot) -> TrainingDialog:
    window.quiet = True
    d = window.open_training()
    d.name_edit.setText("tiny")
    d.epochs_spin.setValue(2)
    d.crop_spin.setValue(64)
    d.batch_spin.setValue(4)
    d.base_combo.setCurrentIndex(d.base_combo.findText("From scratch (DCE-Net)"))
    return d


def scan(dialog, qtbot, paths):
    dialog.set_sources(paths)
    qtbot.waitUntil(lambda: dialog.scan_worker is None, timeout=10_000)
    if dialog.thumbs.count():
        qtbot.waitUntil(lambda: dialog.sample is not None, timeout=10_000)


def test_finds_images_and_rejects_bad_folders(dialog, dark_folder, tmp_path, qtbot):
    scan(dialog, qtbot, [dark_folder])
    assert (
        dialog.usable_count() == 10
        and "10 usable photo(s), 10 of them dark" in dialog.scan_label.text()
    )
    assert dialog.thumbs.count() == 10 and dialog.start_button.isEnabled()
    assert dialog.warning_label.text() == ""
    (tmp_path / "few").mkdir()
    save_photo(tmp_path / "few" / "a.png")
    (tmp_path / "few" / "b.jpg").write_bytes(b"\xff\xd8 no")
    scan(dialog, qtbot, [tmp_path / "few"])
    assert (
        "at least 4" in dialog.warning_label.text() and "1 unreadable" in dialog.scan_label.text()
    )
    assert not dialog.start_button.isEnabled()


def test_warns_when_most_photos_are_bright(dialog, tmp_path, qtbot):
    for i in range(5):
        save_photo(tmp_path / "bright" / f"{i}.png", 255 - dark_rgb(seed=i))
    scan(dialog, qtbot, [tmp_path / "bright"])
    assert "not dark" in dialog.warning_label.text()


def test_queue_images_can_be_used(window, dark_folder, qtbot):
    add(window, qtbot, [dark_folder])
    d = window.open_training()
    d.use_queue_button.click()
    qtbot.waitUntil(lambda: d.scan_worker is None, timeout=10_000)
    assert d.usable_count() == 10


def test_training_updates_chart_and_preview_and_saves_a_selectable_model(
    window, dialog, dark_folder, qtbot, capsys
):
    scan(dialog, qtbot, [dark_folder])
    dialog.start(resume=False)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.last_result.status == "finished"
    assert len(dialog.chart.series["total"]) == 2 and len(dialog.chart.series["val total"]) == 2
    assert dialog.sample_view.after is not None and "epoch 2" in dialog.sample_view.message
    assert window.model_combo.currentText() == "tiny (yours)"
    assert cli_main(["models"]) == 0
    assert "tiny" in capsys.readouterr().out


def test_stop_then_resume(dialog, dark_folder, qtbot):
    scan(dialog, qtbot, [dark_folder])
    dialog.epochs_spin.setValue(3)
    dialog.start(resume=False)
    qtbot.waitUntil(lambda: len(dialog.chart.series.get("total", [])) >= 1, timeout=60_000)
    dialog.stop()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.last_result.status == "cancelled"
    done = read_checkpoint_info(dialog.run_dir())["epoch"]
    assert 1 <= done < 3
    assert dialog.resume_button.isEnabled() and f"epoch {done}" in dialog.resume_button.text()
    dialog.start(resume=True)
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.last_result.status == "finished" and dialog.last_result.epochs_done == 3
    assert len(dialog.chart.series["total"]) == 3


def test_save_model_of_a_stopped_run(window, dialog, dark_folder, qtbot):
    scan(dialog, qtbot, [dark_folder])
    dialog.epochs_spin.setValue(5)
    dialog.start(resume=False)
    qtbot.waitUntil(lambda: len(dialog.chart.series.get("total", [])) >= 1, timeout=60_000)
    dialog.stop()
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    dialog.save_stopped_run()
    assert window.model_combo.currentText() == "tiny (yours)"


def test_manage_rename_delete_export(window, tmp_path, qtbot, user_home):
    manager = window.open_model_manager()
    qtbot.addWidget(manager)
    names = [e.name for e in manager.entries]
    manager.list.setCurrentRow(names.index("bright"))
    assert "dcenet" in manager.card.toPlainText()
    manager.rename_selected("brighter")
    assert any(e.name == "brighter" for e in list_models())
    assert window.model_combo.findText("brighter (yours)") >= 0
    manager.export_selected(tmp_path / "copy.safetensors")
    assert (tmp_path / "copy.safetensors").is_file()
    manager.delete_selected(confirm=False)
    assert not any(e.source == "user" for e in list_models())
    assert window.model_combo.findText("brighter (yours)") < 0
    assert isinstance(manager, ModelManager)


def test_next_time_the_dialog_offers_to_resume(make_window, dark_folder, qtbot):
    first = make_window()
    d = first.open_training()
    d.name_edit.setText("night")
    d.epochs_spin.setValue(4)
    d.crop_spin.setValue(64)
    d.batch_spin.setValue(4)
    scan(d, qtbot, [dark_folder])
    d.start(resume=False)
    qtbot.waitUntil(lambda: len(d.chart.series.get("total", [])) >= 1, timeout=60_000)
    first.close()  # quiet: stops without asking, keeps the checkpoint
    qtbot.waitUntil(lambda: not d.running, timeout=10_000)
    again = make_window().open_training()
    assert again.name_edit.text() == "night" and again.resume_button.isEnabled()
    assert "Resume continues it" in again.status.text() and again.sources() == [dark_folder]
    assert len(again.chart.series["total"]) >= 1
