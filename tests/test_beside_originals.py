"""`zdce enhance DIR -o DIR`: outputs written beside the originals (issue 20, item 17), and
runs that do nothing say why with the right exit code."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.conftest import save_photo
from zdce_core.cli import main


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def enhance(*args: str, model: Path) -> int:
    return main(["enhance", *args, "--model", str(model), "--device", "cpu", "-v"])


def test_outputs_beside_the_originals_and_a_second_run(tmp_path, bright_model_file, capsys):
    photos = tmp_path / "photos"
    save_photo(photos / "x.jpg")
    save_photo(photos / "y.jpg")
    originals = digests(photos)
    assert enhance(str(photos), "-o", str(photos), model=bright_model_file) == 0
    assert sorted(p.name for p in photos.iterdir()) == [
        "x.jpg",
        "x_enhanced.jpg",
        "y.jpg",
        "y_enhanced.jpg",
    ]
    first = digests(photos)
    assert {k: first[k] for k in originals} == originals
    capsys.readouterr()

    assert enhance(str(photos), "-o", str(photos), model=bright_model_file) == 0
    err = capsys.readouterr().err
    assert digests(photos) == first  # no x_enhanced_enhanced.jpg, nothing replaced
    assert "all 2 outputs exist (use --overwrite to replace them)" in err
    assert "earlier result" in err


def test_only_earlier_results_is_nothing_to_do(tmp_path, bright_model_file, capsys):
    photos = tmp_path / "photos"
    save_photo(photos / "x_enhanced.jpg")
    assert enhance(str(photos), "-o", str(photos), model=bright_model_file) == 1
    err = capsys.readouterr().err
    assert "nothing to enhance" in err and "earlier result" in err
    assert [p.name for p in photos.iterdir()] == ["x_enhanced.jpg"]


def test_empty_suffix_beside_the_originals_is_refused(tmp_path, bright_model_file, capsys):
    photos = tmp_path / "photos"
    save_photo(photos / "x.jpg")
    before = digests(photos)
    rc = enhance(str(photos), "-o", str(photos), "--suffix", "", model=bright_model_file)
    assert rc == 2
    assert "empty suffix" in capsys.readouterr().err
    assert digests(photos) == before


def test_output_replacing_a_named_input_is_refused_before_work(tmp_path, bright_model_file, capsys):
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg")
    save_photo(photos / "a_enhanced.jpg")
    before = digests(photos)
    names = [str(photos / "a.jpg"), str(photos / "a_enhanced.jpg")]
    assert enhance(*names, "-o", str(photos), "--overwrite", model=bright_model_file) == 2
    assert "would replace an input" in capsys.readouterr().err
    assert digests(photos) == before


@pytest.mark.parametrize("recursive", [False, True])
def test_output_folder_inside_the_input_folder_still_skips_it(
    tmp_path, bright_model_file, capsys, recursive
):
    photos = tmp_path / "photos"
    save_photo(photos / "x.jpg")
    out = photos / "out"
    save_photo(out / "x_enhanced.jpg")
    args = [str(photos), "-o", str(out)] + (["-r"] if recursive else [])
    assert enhance(*args, model=bright_model_file) == 0
    assert "all 1 outputs exist" in capsys.readouterr().err


def test_the_skip_line_names_the_overwrite_option(tmp_path, bright_model_file, capsys):
    """The core says why in neutral words (no flag); the CLI names ``--overwrite``."""
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "x.jpg")
    save_photo(out / "x_enhanced.jpg")
    assert enhance(str(photos), "-o", str(out), model=bright_model_file) == 0
    lines = capsys.readouterr().err.splitlines()
    skipped = [line for line in lines if line.startswith("skipped ")]
    assert skipped == [
        f"skipped {photos / 'x.jpg'}: the output exists (use --overwrite to replace it)"
    ]
    assert not any("use overwrite" in line for line in lines)
