"""A photo left at strength 0 is copied byte-for-byte, not re-encoded, when its output keeps
its format and metadata (issue 20, also seen by a new user: 226 KB -> 119 KB)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from tests.conftest import save_photo
from zdce_core.cli import main


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def enhance(*args: str, model: Path) -> int:
    return main(["enhance", *args, "--model", str(model), "--device", "cpu", "-v"])


def test_strength_zero_is_copied_byte_identical(tmp_path, bright_model_file, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "a.jpg", quality=70)
    save_photo(photos / "b.png")
    before = digests(photos)
    assert enhance(str(photos), "-o", str(out), "--strength", "0", model=bright_model_file) == 0
    assert digests(photos) == before  # originals untouched
    assert (out / "a_enhanced.jpg").read_bytes() == (photos / "a.jpg").read_bytes()
    assert (out / "b_enhanced.png").read_bytes() == (photos / "b.png").read_bytes()
    assert sorted(p.name for p in out.iterdir()) == ["a_enhanced.jpg", "b_enhanced.png"]
    err = capsys.readouterr().err
    assert (
        f"done {photos / 'a.jpg'} -> {out / 'a_enhanced.jpg'} (strength 0.0; unchanged: copied)"
        in err
    )
    assert "2 enhanced, 0 skipped, 0 failed" in err


def test_beside_the_originals_too(tmp_path, bright_model_file):
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg")
    before = digests(photos)
    assert enhance(str(photos), "-o", str(photos), "--strength", "0", model=bright_model_file) == 0
    assert (photos / "a_enhanced.jpg").read_bytes() == (photos / "a.jpg").read_bytes()
    assert {k: v for k, v in digests(photos).items() if k in before} == before


def test_not_copied_when_the_output_differs_in_format_or_metadata(
    tmp_path, bright_model_file, capsys
):
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg")
    for name, extra in (("png", ["--format", "png"]), ("strip", ["--strip-metadata"])):
        out = tmp_path / name
        args = [str(photos), "-o", str(out), "--strength", "0", *extra]
        assert enhance(*args, model=bright_model_file) == 0
        (result,) = out.iterdir()
        assert result.read_bytes() != (photos / "a.jpg").read_bytes()
    assert "unchanged: copied" not in capsys.readouterr().err


def test_a_copy_never_replaces_an_existing_output_without_overwrite(
    tmp_path, bright_model_file, capsys
):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "a.jpg")
    save_photo(out / "a_enhanced.jpg", quality=50)
    kept = (out / "a_enhanced.jpg").read_bytes()
    assert enhance(str(photos), "-o", str(out), "--strength", "0", model=bright_model_file) == 0
    assert (out / "a_enhanced.jpg").read_bytes() == kept
    assert (
        enhance(
            str(photos), "-o", str(out), "--strength", "0", "--overwrite", model=bright_model_file
        )
        == 0
    )
    assert (out / "a_enhanced.jpg").read_bytes() == (photos / "a.jpg").read_bytes()
    assert [p.name for p in out.iterdir()] == ["a_enhanced.jpg"]  # no temporary left
