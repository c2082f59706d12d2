from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import dark_rgb, save_photo
from tests.synthetic import dark_photo_folder
from zdce_core import training
from zdce_core.adjustments import FIXED_FULL
from zdce_core.cli import main
from zdce_core.enhancer import Enhancer
from zdce_core.model_store import read_metadata
from zdce_core.pipeline import enhance_photo
from zdce_core.training import Trainer, export_checkpoint, train
from zdce_core.training_check import CHECK_PHOTOS, Flaw, ModelRefused, Remedy, darkest_photos
from zdce_core.training_config import (
    EpochDone,
    Preset,
    RunStatus,
    StepProgress,
    TrainConfig,
    TrainingError,
    TrainWarning,
    preset_config,
)
from zdce_core.training_runs import read_run_info
from zdce_core.weights import load_model


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return dark_photo_folder(tmp_path / "dark", 10)


def config(data: Path, **kw) -> TrainConfig:
    base = dict(
        data=[str(data)],
        name="tiny",
        base=None,
        epochs=2,
        crop=32,
        batch_size=4,
        val_every=5,
        lr=1e-3,
    )
    return TrainConfig(**{**base, **kw})


def test_a_few_steps_reduce_the_loss(data, tmp_path):
    torch.manual_seed(0)
    trainer = Trainer(config(data), run_dir=tmp_path / "run")
    batch = torch.stack(
        [torch.from_numpy(dark_rgb(32, 32, s)).permute(2, 0, 1) / 255 for s in range(4)]
    )
    first = trainer.step_on(batch).total
    for _ in range(15):
        last = trainer.step_on(batch).total
    assert last < 0.9 * first


def test_full_run_reports_and_saves_a_model_that_enhances(data, tmp_path):
    events = []
    result = train(
        config(data),
        on_progress=events.append,
        run_dir=tmp_path / "run",
        save_as=tmp_path / "tiny.safetensors",
    )
    assert result.status is RunStatus.FINISHED and result.epochs_done == 2
    steps = [e for e in events if isinstance(e, StepProgress)]
    epochs = [e for e in events if isinstance(e, EpochDone)]
    assert len(steps) == 4 and [e.epoch for e in epochs] == [1, 2]
    assert epochs[-1].val is not None and steps[-1].images_per_second > 0
    meta = read_metadata(result.model_path)
    assert meta["arch"] == "dcenet" and meta["epochs"] == "2" and meta["images"] == "8"
    assert meta["validation_images"] == "2" and "val_loss" in meta and str(data) in meta["data"]
    out = enhance_photo(
        Enhancer(load_model(result.model_path), "cpu"), dark_rgb(), FIXED_FULL
    ).pixels
    assert out.shape == dark_rgb().shape


def test_cancel_stops_between_steps_and_keeps_a_loadable_checkpoint(data, tmp_path):
    seen = []

    def record(p: object) -> None:
        if isinstance(p, StepProgress):
            seen.append(p)

    def cancel() -> bool:
        return len(seen) >= 3  # one step into the second epoch

    result = train(config(data, epochs=3), record, cancel, run_dir=tmp_path / "run")
    assert result.status is RunStatus.CANCELLED and result.epochs_done == 1 and len(seen) == 3
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 1 and result.model_path is None


def test_resume_continues_exactly(data, tmp_path):
    straight = train(config(data, epochs=3), run_dir=tmp_path / "a")
    epochs: list[EpochDone] = []
    stopped = train(
        config(data, epochs=3),
        on_progress=lambda p: isinstance(p, EpochDone) and epochs.append(p),
        run_dir=tmp_path / "b",
        cancel=lambda: bool(epochs),  # after the first epoch
        replace=True,  # the model "tiny" that the straight run saved
    )
    assert stopped.epochs_done == 1
    resumed = train(config(data, epochs=3), run_dir=tmp_path / "b", resume=True)
    assert resumed.epochs_done == 3 and len(resumed.history) == 3
    for a, b in zip(straight.history, resumed.history, strict=True):
        assert b["train"]["total"] == pytest.approx(a["train"]["total"], rel=1e-5)
        assert b["val"]["total"] == pytest.approx(a["val"]["total"], rel=1e-5)


def test_resume_without_checkpoint_is_an_error(data, tmp_path):
    with pytest.raises(TrainingError, match="nothing to resume"):
        train(config(data), run_dir=tmp_path / "empty", resume=True)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(data, tmp_path, monkeypatch):
    steps = []
    real = Trainer.step_on

    def poisoned(self, batch):
        steps.append(1)
        if len(steps) == 3:
            batch = batch * float("nan")
        return real(self, batch)

    monkeypatch.setattr(Trainer, "step_on", poisoned)
    with pytest.raises(TrainingError, match=r"became NaN at epoch 2, step 1.*epoch 1"):
        train(config(data, epochs=3), run_dir=tmp_path / "run")
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    assert ckpt["epoch"] == 1
    assert all(torch.isfinite(v).all() for v in ckpt["model"].values())


def test_nan_loss_in_the_first_epoch_says_there_is_no_checkpoint(data, tmp_path, monkeypatch):
    real = Trainer.step_on
    monkeypatch.setattr(Trainer, "step_on", lambda self, b: real(self, b * float("nan")))
    with pytest.raises(TrainingError, match="became NaN at epoch 1, step 1") as stopped:
        train(config(data, epochs=2), run_dir=tmp_path / "run")
    assert "no checkpoint to resume from" in str(stopped.value)
    assert "checkpoint.pt" not in str(stopped.value)
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("lr", 1000.0, "learning rate must be between"),
        ("lr", float("nan"), "learning rate must be between"),
        ("grad_clip", 1e9, "gradient clip must be between"),
        ("exposure_target", 0.99, "exposure target must be between"),
        ("epochs", 0, "epochs must be between"),
    ],
)
def test_options_out_of_range_are_refused(data, option, value, message):
    with pytest.raises(ValueError, match=message):
        config(data, **{option: value}).validate()


def test_cli_refuses_an_absurd_learning_rate_as_a_usage_error(data, tmp_path, capsys):
    args = ["train", str(data), "--name", "x", "--lr", "1000", "--run-dir", str(tmp_path / "r")]
    assert main(args) == 2
    assert "learning rate must be between" in capsys.readouterr().err


def test_a_model_that_darkens_the_photos_is_not_saved(data, tmp_path, monkeypatch, capsys):
    real = Trainer.step_on

    def diverging(self, batch):  # as a far too high learning rate would leave it
        parts = real(self, batch)
        with torch.no_grad():
            self.net.e_conv7.bias.fill_(10.0)  # every map +1: x ← x² at each iteration
        return parts

    monkeypatch.setattr(Trainer, "step_on", diverging)
    out = tmp_path / "models" / "bad.safetensors"
    with pytest.raises(ModelRefused, match="not saved") as stopped:
        train(config(data), run_dir=tmp_path / "run", save_as=out)
    refusal = stopped.value.refusal
    assert refusal.flaw in (Flaw.CRUSHED_BLACK, Flaw.DARKENS)
    assert Remedy.LOWER_LEARNING_RATE in refusal.remedies
    assert "--lr" not in str(stopped.value)  # no flag of the CLI: the app words it its own way
    assert not out.exists() and (tmp_path / "run" / "checkpoint.pt").exists()
    args = ["train", str(data), "--name", "tiny", "--crop", "32", "--batch-size", "4"]
    args += ["--val-every", "5", "--from-scratch", "--epochs", "2", "--replace"]
    args += ["--run-dir", str(tmp_path / "run"), "--output", str(out)]
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "not saved" in err and "Try a lower --lr" in err and "fewer --epochs" in err
    assert not out.exists()


def test_the_check_before_saving_tries_the_darkest_photos(tmp_path, monkeypatch):
    folder = tmp_path / "mixed"
    levels = {f"{i:02d}.png": 0.05 + 0.04 * i for i in range(20)}  # 00 darkest … 19 bright
    for name, level in levels.items():
        save_photo(folder / name, np.full((40, 40, 3), round(level * 255), np.uint8))
    tried: list[str] = []
    monkeypatch.setattr(
        training, "check_trained_model", lambda _n, files, *_a: tried.extend(p.name for p in files)
    )
    trainer = Trainer(config(folder, val_every=4), run_dir=tmp_path / "run")
    trainer.check_effect()
    assert tried == sorted(levels)[:CHECK_PHOTOS]  # held-out photos count too, bright ones not


def test_darkest_photos_picks_the_lowest_brightness():
    brightness = {Path("b.jpg"): 0.53, Path("a.jpg"): 0.1, Path("c.jpg"): 0.2, Path("d.jpg"): 0.1}
    assert darkest_photos(brightness, 3) == [Path("a.jpg"), Path("d.jpg"), Path("c.jpg")]


def test_too_few_images(tmp_path):
    for i in range(2):
        save_photo(tmp_path / "few" / f"{i}.png")
    with pytest.raises(TrainingError, match="at least 4"):
        train(config(tmp_path / "few"), run_dir=tmp_path / "run")


def test_unreadable_files_are_skipped_with_a_warning(data, tmp_path):
    (data / "zz_broken.jpg").write_bytes(b"\xff\xd8 nope")
    events = []
    result = train(config(data, epochs=1), on_progress=events.append, run_dir=tmp_path / "run")
    warnings = [e.message for e in events if isinstance(e, TrainWarning)]
    assert (
        result.status is RunStatus.FINISHED
        and len(warnings) == 1
        and "zz_broken.jpg" in warnings[0]
    )


def test_fine_tuning_starts_from_a_model(data, tmp_path, bright_model_file):
    trainer = Trainer(config(data, base=str(bright_model_file)), run_dir=tmp_path / "run")
    assert trainer.base_name == "bright.safetensors"


def test_train_cli_and_models_listing(data, user_home, capsys):
    args = [
        "train",
        str(data),
        "--name",
        "cli-model",
        "--from-scratch",
        "--epochs",
        "1",
        "--crop",
        "32",
        "--batch-size",
        "4",
        "--val-every",
        "5",
    ]
    assert main(args) == 0
    assert (user_home / "models" / "cli-model.safetensors").is_file()
    assert main(["models"]) == 0
    assert "cli-model" in capsys.readouterr().out


def test_train_cli_usage_error(data):
    assert main(["train", str(data), "--name", "x", "--crop", "30"]) == 2


def test_scan_images_reports_brightness_thumbnails_and_errors(data):
    from zdce_core.training_data import scan_images

    (data / "zz.jpg").write_bytes(b"\xff\xd8 bad")
    scanned = list(scan_images([data], thumb_size=16))
    good = [s for s in scanned if not s.error]
    assert len(good) == 10 and all(max(s.thumbnail.shape[:2]) == 16 for s in good)
    assert all(0.05 < s.mean_gray < 0.3 for s in good)
    assert [s.path.name for s in scanned if s.error] == ["zz.jpg"]


def test_export_of_a_stopped_run_keeps_the_last_completed_epoch(data, tmp_path):
    epochs: list[EpochDone] = []
    train(
        config(data, epochs=3),
        on_progress=lambda p: isinstance(p, EpochDone) and epochs.append(p),
        run_dir=tmp_path / "run",
        cancel=lambda: bool(epochs),  # after the first epoch
    )
    info = read_run_info(tmp_path / "run")
    assert info is not None and info.epoch == 1 and info.unfinished
    path = export_checkpoint(tmp_path / "run", tmp_path / "stopped.safetensors")
    assert read_metadata(path)["epochs"] == "1"
    ckpt = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)
    saved = load_model(path).net.state_dict()
    assert all(torch.equal(saved[k], v) for k, v in ckpt["model"].items())


def test_enhance_with_a_training_net_leaves_it_untouched(data, tmp_path):
    from zdce_core.training_check import enhance_with

    trainer = Trainer(config(data), run_dir=tmp_path / "run")
    before = {k: v.clone() for k, v in trainer.net.state_dict().items()}
    out = enhance_with(trainer.net, dark_rgb())
    assert out.shape == dark_rgb().shape and trainer.net.training  # still in train mode
    assert all(torch.equal(before[k], v) for k, v in trainer.net.state_dict().items())


def test_the_cli_and_the_app_start_from_the_same_presets(data):
    tuned = preset_config(Preset.FINE_TUNE, [str(data)], "mine")
    assert (tuned.base, tuned.lr, tuned.scale_min, tuned.val_every) == ("default", 5e-5, 0.5, None)
    scratch = preset_config(Preset.REFERENCE, [str(data)], "mine", arch="dcenet++", lr=None)
    assert scratch.base is None and scratch.arch == "dcenet++" and scratch.lr == 1e-4


def test_run_info_is_read_without_the_checkpoint(data, tmp_path, monkeypatch):
    train(config(data, epochs=1), run_dir=tmp_path / "run")
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load called"))
    info = read_run_info(tmp_path / "run")
    assert info is not None and info.epoch == 1 and not info.unfinished
    assert [r["epoch"] for r in info.history] == [1]


def test_cancel_is_checked_between_the_photos_of_a_step(data, tmp_path):
    checks: list[int] = []

    def cancel() -> bool:
        checks.append(1)
        return len(checks) > 2  # before the first step, then after one photo of it

    result = train(config(data, epochs=1), cancel=cancel, run_dir=tmp_path / "run")
    assert result.status is RunStatus.CANCELLED and result.epochs_done == 0
    assert len(checks) == 3
