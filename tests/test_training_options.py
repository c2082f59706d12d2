"""`zdce train` options that used to end in a traceback or an unclear line (issue 20, item 15):
a loss weight that is not a number, a damaged checkpoint to resume, a crop and batch that
cannot fit in memory, and options a resumed run ignores."""

from pathlib import Path

import pytest

from tests.conftest import dark_rgb, save_photo
from zdce_core.cli import main
from zdce_core.cli_common import EXIT_USAGE
from zdce_core.training_runs import CHECKPOINT_NAME, LOCK_NAME, read_resumable_checkpoint


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "dark"
    for i in range(8):
        save_photo(folder / f"{i:02d}.png", dark_rgb(40 + i, 56, seed=i))
    return folder


def cli_args(data: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
        "train",
        str(data),
        "--name",
        "t8",
        "--from-scratch",
        "--epochs",
        "1",
        "--crop",
        "32",
        "--batch-size",
        "4",
        "--val-every",
        "4",
        "--run-dir",
        str(run_dir),
        "-q",
        *extra,
    ]


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    """The one ``zdce…: `` line of stderr (after argparse's usage lines)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.strip().splitlines() if line.startswith("zdce")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("item", ["tv=abc", "tv=", "tv", "speed=3", "=4", "tv=nan", "tv=inf"])
def test_a_loss_weight_that_is_not_name_equals_number_is_a_usage_error(
    item, data, tmp_path, user_home, capsys
):
    code = main(cli_args(data, tmp_path / "run", "--loss-weight", item))
    assert code == EXIT_USAGE
    line = error_line(capsys)
    assert "spa, exp, col, tv" in line and "number" in line and repr(item) in line
    assert not (tmp_path / "run").exists()


def trained_run(data: Path, run_dir: Path) -> Path:
    """A finished one-epoch run in ``run_dir``; returns its checkpoint."""
    assert main(cli_args(data, run_dir, "--output", str(run_dir.parent / "t8.safetensors"))) == 0
    return run_dir / CHECKPOINT_NAME


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def garbage(path: Path) -> None:
    path.write_bytes(b"\x00not a checkpoint\xff" * 40)


def empty(path: Path) -> None:
    path.write_bytes(b"")


def not_a_run(path: Path) -> None:
    import torch

    torch.save({"epoch": 1}, path)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (truncate, "it is truncated"),
        (garbage, "it is not a checkpoint file"),
        (empty, "it is empty"),
        (not_a_run, "it lacks the run's state"),
    ],
)
def test_resuming_a_damaged_checkpoint_is_one_line_that_names_it_and_replace(
    damage, reason, data, tmp_path, user_home, capsys
):
    run_dir = tmp_path / "run"
    checkpoint = trained_run(data, run_dir)
    damage(checkpoint)
    capsys.readouterr()
    code = main(cli_args(data, run_dir, "--epochs", "2", "--resume"))
    assert code == EXIT_USAGE
    line = error_line(capsys)
    assert line.startswith(f"zdce train: cannot resume: the checkpoint {checkpoint} is damaged (")
    assert reason in line and line.endswith("use --replace to start over")
    assert not (run_dir / LOCK_NAME).exists()


def test_replace_starts_over_from_a_damaged_checkpoint(data, tmp_path, user_home, capsys):
    run_dir = tmp_path / "run"
    checkpoint = trained_run(data, run_dir)
    truncate(checkpoint)
    model = str(tmp_path / "t8.safetensors")
    assert main(cli_args(data, run_dir, "--output", model, "--replace")) == 0
    assert read_resumable_checkpoint(run_dir)["epoch"] == 1
