"""Export options as in a photo editor's export dialog (issue 21, item 4): outputs beside
each original, a file-name template, a long edge, and what becomes of photos that need no
change."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import save_photo
from zdce_core.cli import main
from zdce_core.cli_common import EXIT_USAGE
from zdce_core.image_io import Photo
from zdce_core.image_write import fit_long_edge


def enhance(*args: str, model: Path) -> int:
    return main(["enhance", *args, "--model", str(model), "--device", "cpu", "-v"])


def names(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_a_name_template_with_every_field(tmp_path, bright_model_file):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "a.jpg")
    template = "{date}_{name}{suffix}_{model}_s{strength}"
    assert (
        enhance(str(photos), "-o", str(out), "-s", "4", "--name", template, model=bright_model_file)
        == 0
    )
    today = datetime.date.today().isoformat()
    assert names(out) == [f"{today}_a_enhanced_bright_s4.0.jpg"]


def test_the_default_template_keeps_todays_names(tmp_path, bright_model_file):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "a.jpg")
    assert enhance(str(photos), "-o", str(out), model=bright_model_file) == 0
    assert names(out) == ["a_enhanced.jpg"]


@pytest.mark.parametrize(
    ("template", "said"),
    [
        ("{name}/x", "may not contain /"),
        ("..\\{name}", "may not contain \\"),
        ("{name}:{suffix}", "may not contain :"),
        ("{nme}", "unknown field {nme}"),
        ("{date}", "must hold {name}"),
    ],
)
def test_an_unsafe_template_is_refused_in_one_line(
    tmp_path, bright_model_file, capsys, template, said
):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "a.jpg")
    assert (
        enhance(str(photos), "-o", str(out), "--name", template, model=bright_model_file)
        == EXIT_USAGE
    )
    err = capsys.readouterr().err
    error_lines = [line for line in err.splitlines() if line.startswith("zdce: error:")]
    assert len(error_lines) == 1 and said in error_lines[0], err
    assert not out.exists()


def test_clashing_names_of_a_template_are_told_apart(tmp_path, bright_model_file, capsys):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "x" / "p.jpg")
    save_photo(photos / "y" / "p.jpg")
    args = ("-r", "--flat", "--name", "{name}-{strength}", "-s", "2")
    assert enhance(str(photos), "-o", str(out), *args, model=bright_model_file) == 0
    assert names(out) == ["x_p-2.0.jpg", "y_p-2.0.jpg"]
    assert "output named x_p-2.0.jpg" in capsys.readouterr().err


def test_beside_each_original_in_subfolders_and_a_second_run(tmp_path, bright_model_file, capsys):
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg")
    save_photo(photos / "trip" / "b.png")
    args = ("-r", "--beside", "--name", "{name} (edit)", "--suffix", "")
    assert enhance(str(photos), *args, model=bright_model_file) == 0
    assert names(photos) == ["a (edit).jpg", "a.jpg", "trip/b (edit).png", "trip/b.png"]
    assert "-> beside the originals" in capsys.readouterr().err
    assert enhance(str(photos), *args, model=bright_model_file) == 0
    err = capsys.readouterr().err
    assert "a (edit).jpg: an earlier result" in err
    assert names(photos) == ["a (edit).jpg", "a.jpg", "trip/b (edit).png", "trip/b.png"]


def test_no_output_named_is_one_line(tmp_path, bright_model_file, capsys):
    save_photo(tmp_path / "a.jpg")
    assert enhance(str(tmp_path / "a.jpg"), model=bright_model_file) == EXIT_USAGE
    assert "name an output folder with -o DIR, or write beside the originals with --beside" in (
        capsys.readouterr().err
    )


def test_long_edge_scales_down_after_enhancing_and_never_up(tmp_path, bright_model_file):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "wide.png", np.zeros((48, 64, 3), np.uint8) + 30)
    save_photo(photos / "small.png", np.zeros((12, 16, 3), np.uint8) + 30)
    assert enhance(str(photos), "-o", str(out), "--long-edge", "32", model=bright_model_file) == 0
    with (
        Image.open(out / "wide_enhanced.png") as wide,
        Image.open(out / "small_enhanced.png") as small,
    ):
        assert wide.size == (32, 24)
        assert small.size == (16, 12)
        assert np.asarray(wide).mean() > 30  # enhanced, then resized


def test_long_edge_keeps_16_bit_depth_and_alpha():
    ramp = np.linspace(0, 65535, 80).round().astype(np.uint16)
    pixels = np.repeat(np.stack([ramp] * 3, axis=-1)[None], 40, axis=0)
    alpha = np.full((40, 80), 65535, np.uint16)
    photo = Photo(pixels, alpha, False, "PNG")
    small = fit_long_edge(photo, 20)
    assert small.pixels.shape == (10, 20, 3) and small.pixels.dtype == np.uint16
    assert small.alpha is not None and small.alpha.shape == (10, 20)
    assert len(np.unique(small.pixels)) > 15  # more than 8-bit steps would keep apart
    assert fit_long_edge(photo, 80) is photo


@pytest.mark.parametrize("policy", ["copy", "write", "skip"])
def test_photos_that_need_no_change(tmp_path, bright_model_file, capsys, policy):
    photos, out = tmp_path / "photos", tmp_path / "out"
    original = save_photo(photos / "a.jpg", quality=70)
    args = ("-o", str(out), "-s", "0", "--unchanged", policy)
    assert enhance(str(photos), *args, model=bright_model_file) == 0
    err = capsys.readouterr().err
    output = out / "a_enhanced.jpg"
    if policy == "skip":
        assert not output.exists()
        assert "0 enhanced, 1 skipped, 0 failed" in err
        assert "needs no change" in err
    else:
        assert output.exists()
        copied = output.read_bytes() == original.read_bytes()
        assert copied is (policy == "copy")
        assert ("unchanged: copied" in err) is (policy == "copy")


def test_a_copy_is_not_made_when_the_photo_must_be_made_smaller(tmp_path, bright_model_file):
    photos, out = tmp_path / "photos", tmp_path / "out"
    save_photo(photos / "a.png")
    args = ("-o", str(out), "-s", "0", "--long-edge", "32")
    assert enhance(str(photos), *args, model=bright_model_file) == 0
    with Image.open(out / "a_enhanced.png") as img:
        assert img.size == (32, 24)
