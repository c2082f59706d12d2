"""Training that cannot go on stops with one clear line and saves nothing it should not:
no readable photo, a NaN loss or NaN weights, a full disk (issue 20, items 5 and 9)."""

from __future__ import annotations

import errno
import shutil
import types
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import SafetensorError

import zdce_core.weights
from tests.conftest import dark_rgb, save_photo
from tests.synthetic import dark_photo_folder
from zdce_core.cli import main
from zdce_core.losses import LossParts, ZeroReferenceLoss
from zdce_core.model_store import read_metadata
from zdce_core.training import Trainer, train
from zdce_core.training_config import (
    EpochDone,
    RunStatus,
    TrainConfig,
    TrainingError,
    TrainWarning,
)

ENFORCE_FAIL = "[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534"
"""What torch 2.x says when ``torch.save`` hits a full disk (no errno, no reason)."""


def random_bytes_jpegs(folder: Path, names: list[str]) -> None:
    """Files named ``*.jpg`` holding seeded random bytes: found as photos, never readable."""
    rng = np.random.default_rng(5)
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())


def tiny(data: Path, **kw: object) -> TrainConfig:
    base: dict = dict(
        data=[str(data)], name="tiny", base=None, epochs=1, crop=32, batch_size=4, val_every=5
    )
    return TrainConfig(**{**base, **kw})


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return dark_photo_folder(tmp_path / "dark", 8)


def cli_train(data: Path, run_dir: Path, *extra: str) -> int:
    args = ["train", str(data), "--name", "tiny", "--from-scratch", "--crop", "32"]
    return main([*args, "--batch-size", "4", "--run-dir", str(run_dir), *extra])


# item 5: unreadable photos, NaN


def test_no_readable_photo_is_one_clear_error_and_nothing_is_saved(tmp_path, user_home, capsys):
    folder = tmp_path / "junk"
    random_bytes_jpegs(folder, [f"{i}.jpg" for i in range(6)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's "Mean of empty slice" among them
        assert cli_train(folder, tmp_path / "run", "--epochs", "2") == 1
    err = capsys.readouterr().err
    last = err.strip().splitlines()[-1]
    assert last == (
        f"zdce train: no photo in {folder} can be read: 6 of 6 files are unreadable "
        "(first: 0.jpg: not an image, or a format we cannot read)"
    )
    assert err.count("warning: skipped") == 6 and "Traceback" not in err and "nan" not in err
    assert not (user_home / "models").exists() or not any((user_home / "models").iterdir())
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_no_readable_photo_is_found_before_any_step(tmp_path):
    folder = tmp_path / "junk"
    random_bytes_jpegs(folder, [f"{i}.jpg" for i in range(6)])
    events: list[object] = []
    out = tmp_path / "m.safetensors"
    with pytest.raises(TrainingError, match=r"6 of 6 files are unreadable"):
        train(tiny(folder), on_progress=events.append, run_dir=tmp_path / "run", save_as=out)
    assert all(isinstance(e, TrainWarning) for e in events) and len(events) == 6
    assert not out.exists()


def test_unreadable_validation_photos_leave_no_validation_losses_and_no_nan(tmp_path):
    """Every 5th file is held out; here both held out are unreadable, the rest are fine."""
    folder = tmp_path / "mixed"
    for i in (0, 1, 2, 3, 5, 6, 7, 8):
        save_photo(folder / f"{i:02d}.png", dark_rgb(40 + i, 56, seed=i))
    random_bytes_jpegs(folder, ["04.jpg", "09.jpg"])
    events: list[object] = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = train(
            tiny(folder),
            on_progress=events.append,
            run_dir=tmp_path / "run",
            save_as=tmp_path / "m.safetensors",
        )
    assert result.status is RunStatus.FINISHED and result.model_path is not None
    messages = [e.message for e in events if isinstance(e, TrainWarning)]
    assert sorted(m for m in messages if m.startswith("skipped")) == [
        f"skipped {folder / '04.jpg'}: not an image, or a format we cannot read",
        f"skipped {folder / '09.jpg'}: not an image, or a format we cannot read",
    ]
    assert "none of the 2 validation photos can be read" in messages[-1]
    (done,) = [e for e in events if isinstance(e, EpochDone)]
    assert done.val is None and np.isfinite(done.train.total)
    meta = read_metadata(result.model_path)
    assert meta["val_loss"] == "null" and "nan" not in meta["train_loss"].lower()


def test_a_nan_loss_stops_the_run_and_saves_nothing(data, tmp_path, user_home, monkeypatch, capsys):
    real = ZeroReferenceLoss.forward

    def nan_loss(self, original, enhanced, maps):
        loss, _parts = real(self, original, enhanced, maps)
        nan = float("nan")
        return loss * nan, LossParts(nan, nan, nan, nan, nan)

    monkeypatch.setattr(ZeroReferenceLoss, "forward", nan_loss)
    assert cli_train(data, tmp_path / "run", "--epochs", "2") == 1
    err = capsys.readouterr().err
    assert "the loss became NaN at epoch 1, step 1; training stopped" in err
    assert "no checkpoint to resume from" in err and "try a lower learning rate" in err
    assert "Traceback" not in err
    assert not (user_home / "models").exists() or not any((user_home / "models").iterdir())
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_weights_that_become_nan_in_the_last_step_are_never_saved(data, tmp_path, monkeypatch):
    real = Trainer.step_on
    steps: list[int] = []

    def poisoning(self, batch):
        parts = real(self, batch)
        steps.append(1)
        if len(steps) == 2:  # the epoch's last step: a finite loss, then NaN weights
            with torch.no_grad():
                self.net.e_conv7.bias.fill_(float("nan"))
        return parts

    monkeypatch.setattr(Trainer, "step_on", poisoning)
    out = tmp_path / "m.safetensors"
    with pytest.raises(TrainingError, match="weights became NaN or infinite at epoch 1"):
        train(tiny(data), run_dir=tmp_path / "run", save_as=out)
    assert len(steps) == 2
    assert not out.exists() and not (tmp_path / "run" / "checkpoint.pt").exists()


# item 9: a full disk


def failing_second_save(monkeypatch: pytest.MonkeyPatch, error: Exception) -> None:
    """``torch.save`` to a file works once, then writes half a file and raises ``error``."""
    real = torch.save
    calls: list[object] = []

    def save(obj, f, *args, **kw):
        if not isinstance(f, (str, Path)):
            return real(obj, f, *args, **kw)  # in memory
        calls.append(f)
        if len(calls) < 2:
            return real(obj, f, *args, **kw)
        Path(f).write_bytes(b"PK\x03\x04 half a checkpoint")
        raise error

    monkeypatch.setattr(torch, "save", save)


def run_two_epochs(data: Path, run_dir: Path) -> tuple[bytes, TrainingError]:
    """Train for two epochs; the checkpoint's bytes after the first, and the error."""
    first: list[bytes] = []

    def keep(p: object) -> None:
        if isinstance(p, EpochDone) and p.epoch == 1:
            first.append((run_dir / "checkpoint.pt").read_bytes())

    with pytest.raises(TrainingError) as stopped:
        train(tiny(data, epochs=2), on_progress=keep, run_dir=run_dir)
    return first[0], stopped.value


def test_enospc_saving_a_checkpoint_keeps_the_previous_one(data, tmp_path, user_home, monkeypatch):
    failing_second_save(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    run = tmp_path / "run"
    before, error = run_two_epochs(data, run)
    assert str(error) == (
        f"cannot save the checkpoint to {run}: no space left on device; "
        f"the checkpoint of epoch 1 is kept at {run / 'checkpoint.pt'}"
    )
    assert (run / "checkpoint.pt").read_bytes() == before
    assert sorted(p.name for p in run.iterdir()) == ["checkpoint.pt", "run.json"]  # no .part
    assert torch.load(run / "checkpoint.pt", weights_only=True)["epoch"] == 1
    assert not (user_home / "models").exists() or not any((user_home / "models").iterdir())


@pytest.mark.parametrize(
    ("free", "reason"),
    [(100, "no space left on device"), (10**12, f"the write failed ({ENFORCE_FAIL})")],
)
def test_torchs_enforce_fail_is_told_apart_by_the_free_space(
    data, tmp_path, monkeypatch, free, reason
):
    failing_second_save(monkeypatch, RuntimeError(ENFORCE_FAIL))
    real_usage = shutil.disk_usage
    asked: list[Path] = []

    def usage(path):
        asked.append(Path(path))
        return types.SimpleNamespace(total=10**12, used=0, free=free)

    monkeypatch.setattr(shutil, "disk_usage", usage)
    run = tmp_path / "run"
    before, error = run_two_epochs(data, run)
    monkeypatch.setattr(shutil, "disk_usage", real_usage)
    assert str(error).startswith(f"cannot save the checkpoint to {run}: {reason}; ")
    assert asked == [run] and (run / "checkpoint.pt").read_bytes() == before


def test_other_errors_while_saving_are_not_disguised(data, tmp_path, monkeypatch):
    failing_second_save(monkeypatch, RuntimeError("some bug"))
    with pytest.raises(RuntimeError, match="some bug") as raised:
        train(tiny(data, epochs=2), run_dir=tmp_path / "run")
    assert not isinstance(raised.value, TrainingError)


def test_a_denied_checkpoint_folder_says_so(data, tmp_path, monkeypatch):
    def denied(*_a, **_k):
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "run"))

    monkeypatch.setattr(torch, "save", denied)
    with pytest.raises(TrainingError) as stopped:
        train(tiny(data), run_dir=tmp_path / "run")
    assert str(stopped.value) == (
        f"cannot save the checkpoint to {tmp_path / 'run'}: permission denied; "
        "no checkpoint was written yet"
    )


def test_a_full_disk_saving_the_model_keeps_the_checkpoint(data, tmp_path, monkeypatch):
    def full(*_a, **_k):
        raise SafetensorError(
            "Error while serializing: I/O error: No space left on device (os error 28)"
        )

    monkeypatch.setattr(zdce_core.weights, "save_file", full)
    out = tmp_path / "models" / "m.safetensors"
    with pytest.raises(TrainingError) as stopped:
        train(tiny(data), run_dir=tmp_path / "run", save_as=out)
    assert str(stopped.value) == (
        f"cannot save the model to {out.parent}: no space left on device; the run's "
        f"checkpoint is kept at {tmp_path / 'run' / 'checkpoint.pt'} (resume the run to save "
        "the model)"
    )
    assert not out.parent.exists() or list(out.parent.iterdir()) == []
    assert torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=True)["epoch"] == 1
