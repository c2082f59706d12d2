"""`zdce train` options that used to end in a traceback or an unclear line (issue 20, item 15):
a loss weight that is not a number, a damaged checkpoint to resume, a crop and batch that
cannot fit in memory, and options a resumed run ignores."""

from pathlib import Path

import pytest

from tests.synthetic import dark_photo_folder
from zdce_core.cli import main
from zdce_core.cli_common import EXIT_USAGE
from zdce_core.training_runs import CHECKPOINT_NAME, LOCK_NAME, read_resumable_checkpoint


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return dark_photo_folder(tmp_path / "dark", 8)


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


def test_a_crop_and_batch_that_cannot_fit_are_refused_with_the_estimate(
    data, tmp_path, user_home, capsys
):
    run_dir = tmp_path / "run"
    args = cli_args(data, run_dir)
    args[args.index("--crop") + 1] = "4096"
    args[args.index("--batch-size") + 1] = "64"
    assert main(args) == EXIT_USAGE
    line = error_line(capsys)
    assert line.startswith("zdce train: training dcenet on batches of 64 crops of 4096×4096 needs")
    assert "TB of memory, more than 75% of the" in line and "of this machine: lower" in line
    assert "--crop to" in line  # 3.8 TB: more than any machine this runs on
    assert not list(run_dir.glob("*"))


def test_the_advice_names_the_batch_size_and_crop_that_fit(
    data, tmp_path, user_home, monkeypatch, capsys
):
    from zdce_core import training_config, training_memory

    monkeypatch.setattr(training_memory, "physical_memory", lambda: 4 * 10**9)  # 3 GB usable
    args = cli_args(data, tmp_path / "run")
    args[args.index("--crop") + 1] = "512"
    args[args.index("--batch-size") + 1] = "16"
    assert main(args) == EXIT_USAGE
    line = error_line(capsys)
    fits_batch = 3 * 10**9 // training_config.training_bytes("dcenet", 512, 1)
    assert "needs about 14.7 GB of memory, more than 75% of the 4.0 GB of this machine" in line
    assert line.endswith(f"lower --batch-size to {fits_batch} or --crop to 224")
    assert training_config.training_bytes("dcenet", 224, 16) <= 3 * 10**9
    assert training_config.training_bytes("dcenet", 240, 16) > 3 * 10**9


def test_the_estimate_follows_the_measurement(tmp_path):
    from zdce_core.training_config import training_bytes

    assert training_bytes("dcenet", 256, 8) == 8 * 256 * 256 * 3500  # about 1.8 GB
    assert training_bytes("dcenet++", 256, 8) > training_bytes("dcenet", 256, 8)


def set_option(args: list[str], option: str, value: str) -> list[str]:
    args = list(args)
    args[args.index(option) + 1] = value
    return args


def test_resuming_with_the_same_options_continues(data, tmp_path, user_home, capsys):
    run_dir = tmp_path / "run"
    model = str(tmp_path / "t8.safetensors")
    trained_run(data, run_dir)
    args = set_option(cli_args(data, run_dir, "--output", model, "--resume"), "--epochs", "2")
    assert main(args) == 0
    assert read_resumable_checkpoint(run_dir)["epoch"] == 2


def test_resuming_with_other_settings_is_refused_naming_each(data, tmp_path, user_home, capsys):
    run_dir = tmp_path / "run"
    checkpoint = trained_run(data, run_dir)
    before = checkpoint.read_bytes()
    other = tmp_path / "more"
    other.mkdir()
    args = cli_args(data, run_dir, "--resume", "--lr", "1e-5", "--loss-weight", "tv=400")
    args = set_option(set_option(args, "--crop", "64"), "--batch-size", "2")
    args.insert(2, str(other))
    assert main(set_option(args, "--epochs", "2")) == EXIT_USAGE
    line = error_line(capsys)
    assert line.startswith(
        "zdce: error: --resume continues 't8' with the settings it was started with and would "
        f"ignore the folders (the run's: {data}); --crop 64 (the run's: 32); --batch-size 2 "
        "(the run's: 4); --lr 1e-05 (the run's: 0.0001); --loss-weight tv=400 (the run's: none)"
    )
    assert line.endswith(": leave them out to resume, or use --replace to start over with them")
    assert checkpoint.read_bytes() == before


def test_one_other_setting_is_it(data, tmp_path, user_home, capsys):
    run_dir = tmp_path / "run"
    trained_run(data, run_dir)
    args = set_option(cli_args(data, run_dir, "--resume", "--no-flips"), "--epochs", "2")
    assert main(args) == EXIT_USAGE
    line = error_line(capsys)
    assert "would ignore --no-flips (the run flips): leave it out" in line
    assert line.endswith("start over with it")
