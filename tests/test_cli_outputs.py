"""Extra output files (`train --history-json`, `evaluate --json/--sheet`) are checked before
any work and written atomically (issue 20, item 13)."""

import errno
import json
from pathlib import Path

import pytest

from tests.conftest import save_photo
from zdce_core.cli import main
from zdce_core.training_config import RunStatus, TrainResult


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    for i in range(6):
        save_photo(tmp_path / "photos" / f"{i}.png")
    return tmp_path / "photos"


@pytest.fixture
def fake_train(monkeypatch, tmp_path):
    """``train`` replaced: records its calls and returns a finished run at once."""
    from zdce_core import training

    calls = []

    def finished(config, **_kwargs):
        calls.append(config)
        history = [{"epoch": 1, "train": {"total": 0.5}}]
        return TrainResult(RunStatus.FINISHED, 1, history, tmp_path / "run", tmp_path / "m.st")

    monkeypatch.setattr(training, "train", finished)
    return calls


def bad_destinations(tmp_path: Path) -> list[tuple[Path, str]]:
    (tmp_path / "a-folder").mkdir()
    (tmp_path / "a-file").write_text("x")
    return [
        (tmp_path / "missing" / "h.json", "does not exist"),
        (tmp_path / "a-folder", "is a folder"),
        (tmp_path / "a-file" / "h.json", "is not a folder"),
    ]


def test_a_bad_history_json_is_a_usage_error_before_training(photos, tmp_path, fake_train, capsys):
    for target, message in bad_destinations(tmp_path):
        args = ["train", str(photos), "--name", "m", "--history-json", str(target)]
        assert main(args) == 2
        err = capsys.readouterr().err
        assert f"zdce: error: --history-json {target}" in err and message in err
        assert "Traceback" not in err
    assert fake_train == []  # training never started


def test_the_history_json_is_written_after_training(photos, tmp_path, fake_train):
    target = tmp_path / "h.json"
    assert main(["train", str(photos), "--name", "m", "--history-json", str(target)]) == 0
    assert json.loads(target.read_text())[0]["epoch"] == 1 and len(fake_train) == 1


def test_a_full_disk_leaves_no_empty_history_json(
    photos, tmp_path, fake_train, monkeypatch, capsys
):
    folder = tmp_path / "reports"
    folder.mkdir()

    def full(self, *_args, **_kwargs):
        Path.write_bytes(self, b"{")  # a part of it reached the disk
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Path, "write_text", full)
    target = folder / "h.json"
    assert main(["train", str(photos), "--name", "m", "--history-json", str(target)]) == 1
    err = capsys.readouterr().err
    assert f"zdce train: cannot write {target}: no space left on device" in err
    assert list(folder.iterdir()) == []  # neither the file nor a temporary


@pytest.mark.parametrize("option", ["--json", "--sheet"])
def test_bad_evaluate_outputs_are_usage_errors_before_the_work(
    photos, tmp_path, monkeypatch, capsys, option
):
    from zdce_core import evaluation

    def never(*_args, **_kwargs):
        raise AssertionError("the evaluation started")

    monkeypatch.setattr(evaluation, "evaluate", never)
    for target, message in bad_destinations(tmp_path):
        assert main(["evaluate", str(photos), option, str(target)]) == 2
        err = capsys.readouterr().err
        assert f"zdce: error: {option} {target}" in err and message in err
