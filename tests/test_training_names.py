"""`zdce train` and a name in use (issue 20, item 4): an existing run or model is never
replaced without ``--resume`` or ``--replace``, and a run folder is locked while it trains."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.synthetic import dark_photo_folder
from zdce_core import nets, training
from zdce_core.atomic import host_label
from zdce_core.cli import main
from zdce_core.model_store import user_models_dir
from zdce_core.training import train
from zdce_core.training_config import EpochDone, RunStatus, TrainConfig, TrainingError
from zdce_core.training_runs import (
    CHECKPOINT_NAME,
    LOCK_NAME,
    RunLocked,
    RunState,
    existing_work,
    lock_run,
    read_run_info,
    run_dir_for,
)
from zdce_core.weights import save_model


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return dark_photo_folder(tmp_path / "dark", 10)


def cli_args(data: Path, name: str = "t8", *extra: str) -> list[str]:
    return [
        "train",
        str(data),
        "--name",
        name,
        "--from-scratch",
        "--epochs",
        "1",
        "--crop",
        "32",
        "--batch-size",
        "4",
        "--val-every",
        "5",
        "-q",
        *extra,
    ]


def stopped_run(data: Path, name: str = "t8") -> Path:
    """A run of ``name`` stopped after epoch 1 of 2; returns its folder."""
    config = TrainConfig(
        data=[str(data)], name=name, base=None, epochs=2, crop=32, batch_size=4, val_every=5
    )
    done: list[EpochDone] = []
    result = train(
        config,
        on_progress=lambda p: done.append(p) if isinstance(p, EpochDone) else None,
        cancel=lambda: bool(done),
    )
    assert result.status is RunStatus.CANCELLED and result.epochs_done == 1
    return result.run_dir


def error_lines(capsys) -> list[str]:
    return capsys.readouterr().err.strip().splitlines()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_rerun_without_flags_refuses_and_keeps_the_checkpoint(data, capsys):
    run_dir = stopped_run(data)
    assert run_dir == run_dir_for("t8")
    before = (run_dir / CHECKPOINT_NAME).read_bytes()
    capsys.readouterr()
    assert main(cli_args(data)) == 2
    (line,) = error_lines(capsys)
    assert "a run 't8' exists (stopped at epoch 1 of 2)" in line
    assert "--resume" in line and "--replace" in line
    assert (run_dir / CHECKPOINT_NAME).read_bytes() == before
    assert not (run_dir / LOCK_NAME).exists()
    assert main(cli_args(data, "t8", "--resume", "--epochs", "2")) == 0
    assert read_run_info(run_dir).epoch == 2
    assert not (run_dir / LOCK_NAME).exists()


def test_replace_trains_and_replaces_the_model_only_when_it_saves(data, capsys, monkeypatch):
    assert main(cli_args(data)) == 0
    model = user_models_dir() / "t8.safetensors"
    old = model.read_bytes()
    capsys.readouterr()
    assert main(cli_args(data, "t8", "--seed", "7")) == 2
    (line,) = error_lines(capsys)
    assert "a run 't8' exists (finished at epoch 1) and a model 't8' exists" in line
    assert model.read_bytes() == old
    export = training.Trainer.export
    seen: list[bytes] = []

    def checked_export(self, path=None):
        seen.append(model.read_bytes())  # the old model is still whole when the new one saves
        assert (self.run_dir / LOCK_NAME).is_file()
        return export(self, path)

    monkeypatch.setattr(training.Trainer, "export", checked_export)
    assert main(cli_args(data, "t8", "--seed", "7", "--replace")) == 0
    assert seen == [old] and model.read_bytes() != old
    assert not (run_dir_for("t8") / LOCK_NAME).exists()


def test_an_existing_model_name_refuses(data, capsys):
    model = save_model(nets.build("dcenet"), user_models_dir() / "t8.safetensors")
    old = model.read_bytes()
    assert main(cli_args(data)) == 2
    (line,) = error_lines(capsys)
    assert "a model 't8' exists" in line and "--replace" in line and "a run" not in line
    assert model.read_bytes() == old
    assert not run_dir_for("t8").exists()  # nothing left behind


def test_resume_and_replace_together_are_a_usage_error(data, capsys):
    with pytest.raises(SystemExit) as exc:
        main(cli_args(data, "t8", "--resume", "--replace"))
    assert exc.value.code == 2


def write_lock(run_dir: Path, pid: int) -> Path:
    run_dir.mkdir(parents=True, exist_ok=True)
    lock = run_dir / LOCK_NAME
    lock.write_text(json.dumps({"host": host_label(), "pid": pid}))
    return lock


def test_a_lock_of_a_live_process_refuses(data, capsys):
    lock = write_lock(run_dir_for("t8"), os.getpid())
    before = lock.read_bytes()
    assert main(cli_args(data)) == 2
    (line,) = error_lines(capsys)
    assert f"'t8' is being trained by process {os.getpid()} on {host_label()}" in line
    assert lock.read_bytes() == before
    assert not (run_dir_for("t8") / CHECKPOINT_NAME).exists()


def test_a_stale_lock_is_taken_over(data, capsys):
    lock = write_lock(run_dir_for("t8"), dead_pid())
    assert main(cli_args(data)) == 0
    assert not lock.exists() and (user_models_dir() / "t8.safetensors").is_file()


def test_a_lock_on_another_host_cannot_be_checked_and_refuses(data, capsys):
    lock = run_dir_for("t8") / LOCK_NAME
    lock.parent.mkdir(parents=True)
    lock.write_text(json.dumps({"host": "elsewhere_xyz", "pid": dead_pid()}))
    assert main(cli_args(data)) == 2
    assert "on elsewhere_xyz" in error_lines(capsys)[0] and lock.exists()


def test_the_lock_is_exclusive_and_removed_after_an_error(tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(ZeroDivisionError), lock_run(run_dir, "t8") as lock:
        assert json.loads(lock.read_text()) == {"host": host_label(), "pid": os.getpid()}
        with pytest.raises(RunLocked) as refused, lock_run(run_dir, "t8"):
            pass
        assert refused.value.holder.pid == os.getpid()
        1 / 0  # noqa: B018
    assert not run_dir.exists()  # created for the run, left empty: removed


def test_the_lock_is_removed_when_training_fails(data, tmp_path, capsys, monkeypatch):
    def fails(self, *_a, **_k):
        assert (self.run_dir / LOCK_NAME).is_file()
        raise TrainingError("the loss became NaN")

    monkeypatch.setattr(training.Trainer, "run", fails)
    assert main([*cli_args(data, "x"), "--run-dir", str(tmp_path / "r")]) == 1
    assert not (tmp_path / "r").exists()


def test_existing_work_tells_the_states(data, tmp_path):
    empty = existing_work("n", tmp_path / "none", tmp_path / "n.safetensors")
    assert not empty.any and empty.run_state is RunState.NONE
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / CHECKPOINT_NAME).write_bytes(b"not a checkpoint")
    work = existing_work("n", broken, tmp_path / "n.safetensors")
    assert work.run_state is RunState.UNREADABLE and work.any and not work.resumable
    stopped = existing_work("t8", stopped_run(data), tmp_path / "n.safetensors")
    assert stopped.resumable and stopped.run_state is RunState.UNFINISHED
