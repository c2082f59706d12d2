from pathlib import Path

import pytest
import torch
from PySide6.QtCore import Qt

from tests.conftest import dark_rgb, save_photo
from tests.gui.conftest import add
from zdce_core import training
from zdce_core.cli import main as cli_main
from zdce_core.model_store import ModelSource, list_models, user_models_dir
from zdce_core.training_check import Flaw, ModelRefused, Refusal
from zdce_core.training_config import RunStatus
from zdce_core.training_runs import CHECKPOINT_NAME, LOCK_NAME, read_run_info, run_dir_for
from zdce_gui.training_dialog import TrainingDialog
from zdce_gui.training_questions import (
    REFUSED_TITLE,
    REPLACE_TITLE,
    RESUME_TITLE,
    SAVE_REFUSED_TITLE,
)


@pytest.fixture
def dark_folder(tmp_path: Path) -> Path:
    for i in range(10):
        save_photo(tmp_path / "dark" / f"{i:02d}.png", dark_rgb(48, 64, seed=i))
    return tmp_path / "dark"


def small_run(d: TrainingDialog, name: str = "tiny", epochs: int = 2) -> None:
    d.settings.name_edit.setText(name)
    d.settings.epochs_spin.setValue(epochs)
    d.settings.crop_spin.setValue(64)
    d.settings.batch_spin.setValue(4)
    d.settings.base_combo.setCurrentIndex(d.settings.base_combo.findText("From scratch (DCE-Net)"))


@pytest.fixture
def dialog(window, qtbot) -> TrainingDialog:
    window.ui.train_action.trigger()
    d = window.models.training_dialog
    assert d is not None and d.isVisible()
    qtbot.waitUntil(lambda: not d.pool.workers, timeout=10_000)  # runs read
    small_run(d)
    return d


def scan(dialog, qtbot, paths):
    dialog.photos.set_sources(paths)
    qtbot.waitUntil(lambda: not dialog.photos.scanning, timeout=10_000)
    if dialog.photos.thumbs.count():
        qtbot.waitUntil(lambda: dialog.photos.sample is not None, timeout=10_000)


def click(qtbot, button) -> None:
    assert button.isEnabled(), button.text()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def wait_idle(dialog, qtbot) -> None:
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    qtbot.waitUntil(lambda: not dialog.pool.workers, timeout=10_000)


def wait_first_epoch(dialog, qtbot) -> None:
    """Until the chart has its first point (the first epoch ended)."""
    qtbot.waitUntil(lambda: len(dialog.chart.series.get("total", [])) >= 1, timeout=60_000)


def stop_after_first_epoch(dialog, qtbot, folder: Path, epochs: int) -> None:
    """Scan ``folder``, start a run of ``epochs`` with Start, stop it with Stop once the
    first epoch is charted, and wait until the dialog is idle."""
    scan(dialog, qtbot, [folder])
    dialog.settings.epochs_spin.setValue(epochs)
    click(qtbot, dialog.start_button)
    wait_first_epoch(dialog, qtbot)
    click(qtbot, dialog.stop_button)
    wait_idle(dialog, qtbot)


def test_finds_images_warns_about_few_and_rejects_bad_folders(dialog, dark_folder, tmp_path, qtbot):
    scan(dialog, qtbot, [dark_folder])
    photos = dialog.photos
    assert photos.usable_count() == 10
    assert "10 usable photo(s), 10 of them dark: 7 for training, 3 held out" in (
        photos.scan_label.text()
    )
    assert photos.thumbs.count() == 10 and dialog.start_button.isEnabled()
    assert "Only 10 photos" in photos.warning_label.text()
    (tmp_path / "few").mkdir()
    save_photo(tmp_path / "few" / "a.png")
    (tmp_path / "few" / "b.jpg").write_bytes(b"\xff\xd8 no")
    scan(dialog, qtbot, [tmp_path / "few"])
    assert "at least 4" in photos.warning_label.text()
    assert "1 unreadable" in photos.scan_label.text()
    assert not dialog.start_button.isEnabled()


def test_warns_when_most_photos_are_bright(dialog, tmp_path, qtbot):
    for i in range(5):
        save_photo(tmp_path / "bright" / f"{i}.png", 255 - dark_rgb(seed=i))
    scan(dialog, qtbot, [tmp_path / "bright"])
    assert "not dark" in dialog.photos.warning_label.text()


def test_queue_images_can_be_used(window, dark_folder, qtbot):
    add(window, qtbot, [dark_folder])
    window.ui.train_action.trigger()
    d = window.models.training_dialog
    click(qtbot, d.photos.use_queue_button)
    qtbot.waitUntil(lambda: not d.photos.scanning, timeout=10_000)
    assert d.photos.usable_count() == 10


def test_settings_start_from_the_cores_presets(dialog):
    settings = dialog.settings
    settings.base_combo.setCurrentIndex(settings.base_combo.findText("From scratch (DCE-Net++)"))
    assert settings.weight_spins["tv"].value() == 1600.0 and settings.lr_spin.value() == 1e-4
    settings.base_combo.setCurrentIndex(settings.base_combo.findText("Fine-tune bright"))
    assert settings.weight_spins["tv"].value() == 200.0 and settings.lr_spin.value() == 5e-5
    config = settings.config(dialog.photos.sources())
    assert config.base is not None and config.scale_min == 0.5 and config.val_every is None
    assert config.loss_weights == {}  # Advanced unticked: the architecture's own weights


def test_training_shows_progress_of_the_whole_run_and_offers_its_model(
    window, dialog, dark_folder, qtbot, capsys
):
    scan(dialog, qtbot, [dark_folder])
    selected = window.ui.model_combo.currentText()
    values: list[tuple[int, int]] = []
    dialog.progress.valueChanged.connect(lambda v: values.append((v, dialog.progress.maximum())))
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    assert dialog.last_result.status is RunStatus.FINISHED
    first = next(v for v in values if v[1] > 1)
    assert first[0] < first[1]  # the first step is not 100 %
    assert len(dialog.chart.series["total"]) == 2 and len(dialog.chart.series["val total"]) == 2
    assert len(dialog.chart.series["step"]) == 4  # two steps per epoch, drawn as they come
    assert dialog.sample_view.after is not None and "epoch 2" in dialog.sample_view.message
    assert window.ui.model_combo.currentText() == selected  # listed, not silently chosen
    assert window.ui.model_combo.findText("tiny (yours)") >= 0
    assert not dialog.save_button.isEnabled()  # the run saved itself
    click(qtbot, dialog.use_button)
    assert window.ui.model_combo.currentText() == "tiny (yours)"
    assert cli_main(["models"]) == 0
    assert "tiny" in capsys.readouterr().out


def test_stop_then_resume(dialog, dark_folder, qtbot):
    stop_after_first_epoch(dialog, qtbot, dark_folder, 3)
    assert dialog.last_result.status is RunStatus.CANCELLED
    done = read_run_info(dialog.last_result.run_dir).epoch
    assert 1 <= done < 3
    assert dialog.resume_button.isEnabled() and f"epoch {done}" in dialog.resume_button.text()
    click(qtbot, dialog.resume_button)
    wait_idle(dialog, qtbot)
    assert dialog.last_result.status is RunStatus.FINISHED and dialog.last_result.epochs_done == 3
    assert len(dialog.chart.series["total"]) == 3


def test_starting_over_asks_first(window, dialog, dark_folder, qtbot):
    scan(dialog, qtbot, [dark_folder])
    dialog.settings.epochs_spin.setValue(1)
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    model = user_models_dir() / "tiny.safetensors"
    old = model.read_bytes()
    assert not dialog.resume_button.isEnabled()  # 1 of 1 epochs done: nothing to continue
    window.asker.answers.append(False)  # "Start over and replace?" → No
    click(qtbot, dialog.start_button)
    assert window.asker.asked[-1] == REPLACE_TITLE and not dialog.running
    assert RESUME_TITLE not in window.asker.asked and model.read_bytes() == old
    window.asker.answers.append(True)
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    assert dialog.last_result.status is RunStatus.FINISHED and model.read_bytes() != old
    assert not (run_dir_for("tiny") / LOCK_NAME).exists()


def test_a_finished_run_can_be_continued_to_more_epochs(window, dialog, dark_folder, qtbot):
    scan(dialog, qtbot, [dark_folder])
    dialog.settings.epochs_spin.setValue(1)
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    dialog.settings.epochs_spin.setValue(2)
    assert dialog.resume_button.isEnabled() and "epoch 1" in dialog.resume_button.text()
    window.asker.answers.append(True)  # Start → "Resume the earlier run?" → Yes
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    assert window.asker.asked[-1] == RESUME_TITLE
    assert dialog.last_result.status is RunStatus.FINISHED and dialog.last_result.epochs_done == 2
    assert len(dialog.chart.series["total"]) == 2


def test_start_on_a_stopped_run_asks_resume_then_replace(window, dialog, dark_folder, qtbot):
    stop_after_first_epoch(dialog, qtbot, dark_folder, 3)
    checkpoint = run_dir_for("tiny") / CHECKPOINT_NAME
    before = checkpoint.read_bytes()
    first_epoch = read_run_info(run_dir_for("tiny")).history[0]
    assert dialog.resume_button.isEnabled()
    window.asker.answers.extend([False, False])  # Resume? → No; Start over? → No: cancel
    click(qtbot, dialog.start_button)
    assert window.asker.asked[-2:] == [RESUME_TITLE, REPLACE_TITLE] and not dialog.running
    assert checkpoint.read_bytes() == before
    window.asker.answers.extend([False, True])  # Resume? → No; Start over? → Yes
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    assert dialog.last_result.status is RunStatus.FINISHED and dialog.last_result.epochs_done == 3
    history = read_run_info(run_dir_for("tiny")).history
    assert [r["epoch"] for r in history] == [1, 2, 3] and history[0] != first_epoch  # anew


def test_save_model_of_a_stopped_run(window, dialog, dark_folder, qtbot):
    stop_after_first_epoch(dialog, qtbot, dark_folder, 5)
    click(qtbot, dialog.save_button)
    wait_idle(dialog, qtbot)
    assert "Saved as “tiny”" in dialog.status.text() and not dialog.save_button.isEnabled()
    assert window.ui.model_combo.findText("tiny (yours)") >= 0


def test_after_stop_the_progress_bar_shows_the_epochs_done(dialog, dark_folder, qtbot):
    stop_after_first_epoch(dialog, qtbot, dark_folder, 4)
    done = read_run_info(run_dir_for("tiny")).epoch
    assert 1 <= done < 4
    assert (dialog.progress.value(), dialog.progress.maximum()) == (done, 4)
    assert dialog.progress.text() == f"{25 * done}%"


def test_a_refused_model_is_saved_only_after_a_question(
    window, dialog, dark_folder, qtbot, monkeypatch
):
    tried: list[Path] = []

    def refuse(_net, files, _load, checkpoint):  # as a far too high learning rate would make it
        tried[:] = files
        raise ModelRefused(Refusal(Flaw.CRUSHED_WHITE, checkpoint, photo=files[0], share=0.35))

    monkeypatch.setattr(training, "check_trained_model", refuse)
    questions: list[tuple[str, str]] = []
    confirm = window.asker.confirm
    monkeypatch.setattr(
        window.asker, "confirm", lambda title, q: questions.append((title, q)) or confirm(title, q)
    )
    scan(dialog, qtbot, [dark_folder])
    dialog.settings.epochs_spin.setValue(1)
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    model = user_models_dir() / "tiny.safetensors"
    reason = f"On {tried[0].name}, the model turned 35% of the photo white"
    title, message = window.asker.shown[-1]
    assert title == REFUSED_TITLE and reason in message and not model.exists()
    for text in (message, dialog.status.text()):  # the app's own settings, not the CLI's flags
        assert "a lower learning rate or fewer epochs" in text and "--" not in text
    assert not dialog.use_button.isEnabled()
    window.asker.answers.append(False)  # "Save a model that failed the check?" → No
    click(qtbot, dialog.save_button)
    wait_idle(dialog, qtbot)
    assert questions[-1][0] == SAVE_REFUSED_TITLE and reason in questions[-1][1]
    assert not model.exists() and not dialog.use_button.isEnabled()
    assert dialog.save_button.isEnabled()
    window.asker.answers.append(True)  # asked again → Yes
    click(qtbot, dialog.save_button)
    wait_idle(dialog, qtbot)
    assert [t for t, _q in questions] == [SAVE_REFUSED_TITLE, SAVE_REFUSED_TITLE]
    assert model.exists() and "Saved as “tiny”" in dialog.status.text()
    assert dialog.use_button.isEnabled() and not dialog.save_button.isEnabled()


def test_typing_a_name_reads_nothing_from_disk(dialog, dark_folder, qtbot, monkeypatch):
    scan(dialog, qtbot, [dark_folder])
    dialog.settings.epochs_spin.setValue(1)
    click(qtbot, dialog.start_button)
    wait_idle(dialog, qtbot)
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load on a keystroke"))
    dialog.settings.name_edit.clear()
    qtbot.keyClicks(dialog.settings.name_edit, "tiny")
    assert dialog.start_button.isEnabled() and not dialog.resume_button.isEnabled()


def test_manage_rename_delete_export(window, tmp_path, qtbot):
    window.ui.manage_action.trigger()
    manager = window.findChildren(type(window.models.open_manager()))[0]
    qtbot.addWidget(manager)
    names = [e.name for e in manager.entries]
    manager.list.setCurrentRow(names.index("bright"))
    assert "DCE-Net" in manager.card.toPlainText()
    window.asker.answers.append("brighter")
    click(qtbot, manager.rename_button)
    qtbot.waitUntil(lambda: any(e.name == "brighter" for e in list_models()), timeout=10_000)
    qtbot.waitUntil(lambda: window.ui.model_combo.findText("brighter (yours)") >= 0, timeout=5000)
    window.asker.answers.append(tmp_path / "copy")
    click(qtbot, manager.export_button)
    qtbot.waitUntil(lambda: (tmp_path / "copy.safetensors").is_file(), timeout=10_000)
    window.asker.answers.append(False)  # "Delete the model?" → No
    click(qtbot, manager.delete_button)
    qtbot.wait(100)
    assert any(e.name == "brighter" for e in list_models())
    window.asker.answers.append(True)
    click(qtbot, manager.delete_button)
    qtbot.waitUntil(
        lambda: not any(e.source is ModelSource.USER for e in list_models()), timeout=10_000
    )
    qtbot.waitUntil(lambda: window.ui.model_combo.findText("brighter (yours)") < 0, timeout=5000)
    assert window.asker.asked == ["Rename model", "Export model", "Delete model", "Delete model"]
    close = next(
        b for b in manager.findChildren(type(manager.rename_button)) if b.text() == "Close"
    )
    click(qtbot, close)
    assert not manager.isVisible()


def test_next_time_the_dialog_offers_to_resume(make_window, dark_folder, qtbot):
    first = make_window()
    first.ui.train_action.trigger()
    d = first.models.training_dialog
    small_run(d, "night", epochs=4)
    scan(d, qtbot, [dark_folder])
    click(qtbot, d.start_button)
    wait_first_epoch(d, qtbot)
    first.asker.answers.append(True)  # "Stop training?" → Yes
    first.close()
    qtbot.waitUntil(lambda: not d.running, timeout=10_000)
    second = make_window()
    second.ui.train_action.trigger()
    again = second.models.training_dialog
    qtbot.waitUntil(lambda: again.resume_button.isEnabled(), timeout=10_000)
    assert again.settings.name_edit.text() == "night"
    assert "Resume continues it" in again.status.text()
    assert again.photos.sources() == [dark_folder]
    assert len(again.chart.series["total"]) >= 1


def test_folder_buttons_and_close(window, dialog, dark_folder, tmp_path, qtbot):
    window.asker.answers.append(dark_folder)
    click(qtbot, dialog.photos.add_button)
    qtbot.waitUntil(lambda: not dialog.photos.scanning, timeout=10_000)
    assert dialog.photos.sources() == [dark_folder] and dialog.photos.usable_count() == 10
    dialog.photos.folders.setCurrentRow(0)
    click(qtbot, dialog.photos.remove_button)
    assert dialog.photos.sources() == [] and not dialog.start_button.isEnabled()
    close = next(b for b in dialog.findChildren(type(dialog.start_button)) if b.text() == "Close")
    click(qtbot, close)
    assert not dialog.isVisible()
