"""Inputs that change under a running command (issue 20, item 15): a model "file" that is a
device, and a photo swapped for a folder between discovery and reading, each end in one
line that says what the path is, never a traceback or a misleading "corrupt" reason."""

from pathlib import Path

import pytest

from tests.conftest import dark_rgb, save_photo
from zdce_core import discovery
from zdce_core.cli import main
from zdce_core.cli_common import EXIT_FAILED, EXIT_USAGE


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    for name in ("a.png", "b.png"):
        save_photo(folder / name, dark_rgb(40, 56, seed=len(name)))
    return folder


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_a_model_that_is_a_device_says_so(photos, tmp_path, user_home, capsys):
    code = main(["enhance", str(photos), "-o", str(tmp_path / "out"), "--model", "/dev/zero"])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "Traceback" not in err and "no such model" not in err
    assert "/dev/zero: not a file but a device" in err
    assert len(err.strip().splitlines()) == 1


def test_a_photo_swapped_for_a_folder_mid_batch_is_named_as_a_folder(
    photos, tmp_path, user_home, monkeypatch, capsys
):
    real = discovery.discover

    def discover_then_swap(*args: object, **kw: object) -> object:
        found = real(*args, **kw)  # pyright: ignore[reportArgumentType]
        (photos / "b.png").unlink()
        (photos / "b.png").mkdir()
        return found

    monkeypatch.setattr(discovery, "discover", discover_then_swap)
    code = main(["enhance", str(photos), "-o", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "Traceback" not in err and "Errno 21" not in err and "corrupt" not in err
    assert "b.png" in err and "folder" in err
    assert (tmp_path / "out" / "a_enhanced.png").is_file()
