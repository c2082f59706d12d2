"""`zdce train` options that used to end in a traceback or an unclear line (issue 20, item 15):
a loss weight that is not a number, a damaged checkpoint to resume, a crop and batch that
cannot fit in memory, and options a resumed run ignores."""

from pathlib import Path

import pytest

from tests.conftest import dark_rgb, save_photo
from zdce_core.cli import main
from zdce_core.cli_common import EXIT_USAGE


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
