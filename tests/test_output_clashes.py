"""Inputs that would share an output file (issue 20, item 3): found while planning, before
any photo is enhanced; each gets a distinct output holding its own result, one note line
says so, and the summary counts the files really written."""

import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import save_photo
from zdce_core import output_clashes
from zdce_core.batch_job import plan_job
from zdce_core.cli import main
from zdce_core.discovery import FoundFile
from zdce_core.output_clashes import ignores_case
from zdce_core.outputs import OutputOptions

RED, GREEN, BLUE = 0, 1, 2


def tinted(channel: int) -> np.ndarray:
    """A dark photo whose ``channel`` clearly leads (it still leads once brightened)."""
    rgb = np.full((32, 48, 3), 12, np.uint8)
    rgb[:, :, channel] = 60
    return rgb


def leading_channel(path: Path) -> int:
    with Image.open(path) as img:
        return int(np.asarray(img.convert("RGB"), np.float64).mean(axis=(0, 1)).argmax())


CASES = {
    "jpeg and png written as jpeg": (
        {"a.jpg": RED, "a.png": GREEN},
        ["--format", "jpeg"],
        {"a_jpg_enhanced.jpg": RED, "a_png_enhanced.jpg": GREEN},
    ),
    "bmp and png both become png": (
        {"b.bmp": RED, "b.png": BLUE},
        [],
        {"b_bmp_enhanced.png": RED, "b_png_enhanced.png": BLUE},
    ),
    "one name in two folders written flat": (
        {"x/p.jpg": RED, "y/p.jpg": GREEN},
        ["-r", "--flat"],
        {"x_p_enhanced.jpg": RED, "y_p_enhanced.jpg": GREEN},
    ),
}


@pytest.mark.parametrize("overwrite", [False, True], ids=["", "overwrite"])
@pytest.mark.parametrize("case", list(CASES))
def test_clashing_inputs_get_distinct_outputs(case, overwrite, tmp_path, bright_model_file, capsys):
    inputs, options, expected = CASES[case]
    src, out = tmp_path / "in", tmp_path / "out"
    for name, channel in inputs.items():
        save_photo(src / name, tinted(channel))
    save_photo(src / "c.jpg", tinted(BLUE))  # clashes with nothing: keeps its plain name
    args = ["enhance", str(src), "-o", str(out), *options, "--model", str(bright_model_file)]
    assert main([*args, *(["--overwrite"] if overwrite else [])]) == 0
    err = capsys.readouterr().err
    written = {p.name for p in out.iterdir()}
    assert written == {*expected, "c_enhanced.jpg"}
    for name, channel in expected.items():
        assert leading_channel(out / name) == channel, name  # each holds its own photo
    # one note per renamed input (the one-channel test photos also get the cast note)
    notes = [line for line in err.splitlines() if line.startswith("note ") and "named" in line]
    assert len(notes) == len(inputs), notes
    for line in notes:
        source = line.removeprefix("note ").split(":")[0]
        assert Path(source).relative_to(src).as_posix() in inputs
        assert "output named " in line and "would also be" in line
    done = re.search(r"(\d+) enhanced, 0 skipped, 0 failed of (\d+)", err)
    assert done and int(done[1]) == int(done[2]) == len(written)


def test_a_rerun_with_overwrite_replaces_each_output_with_its_own_photo(
    tmp_path, bright_model_file, capsys
):
    src, out = tmp_path / "in", tmp_path / "out"
    save_photo(src / "a.jpg", tinted(RED))
    save_photo(src / "a.png", tinted(GREEN))
    args = ["enhance", str(src), "-o", str(out), "--format", "jpeg", "-q"]
    assert main([*args, "--model", str(bright_model_file)]) == 0
    assert main([*args, "--model", str(bright_model_file), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a_jpg_enhanced.jpg", "a_png_enhanced.jpg"]
    assert leading_channel(out / "a_png_enhanced.jpg") == GREEN
    assert main([*args, "--model", str(bright_model_file)]) == 0
    assert "0 enhanced, 2 skipped" in capsys.readouterr().err


def test_names_that_differ_only_by_case_clash_where_the_file_system_ignores_case(
    tmp_path, bright_model_file, capsys, monkeypatch
):
    src, out = tmp_path / "in", tmp_path / "out"
    save_photo(src / "a.JPG", tinted(RED))
    save_photo(src / "a.jpg", tinted(GREEN))
    args = ["enhance", str(src), "-o", str(out), "--format", "png"]
    args += ["--model", str(bright_model_file)]
    monkeypatch.setattr(output_clashes, "ignores_case", lambda _folder: True)
    assert main(args) == 2  # no name tells them apart there: refused before any work
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("zdce: error:")]
    assert len(errors) == 1 and "a_enhanced.png from " in errors[0]
    assert str(src / "a.JPG") in errors[0] and str(src / "a.jpg") in errors[0]
    assert not out.exists()
    monkeypatch.setattr(output_clashes, "ignores_case", lambda _folder: False)
    assert main(args) == 0  # a file system that tells case apart: the extension does
    assert leading_channel(out / "a_JPG_enhanced.png") == RED
    assert leading_channel(out / "a_jpg_enhanced.png") == GREEN


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux file systems")
def test_ignores_case_on_a_case_sensitive_file_system(tmp_path):
    (tmp_path / "Photos").mkdir()
    assert not ignores_case(tmp_path / "Photos")
    assert not ignores_case(tmp_path / "not" / "yet")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_output_folders_that_are_one_folder_are_compared_resolved(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "out", target_is_directory=True)
    x = FoundFile(tmp_path / "x" / "p.jpg", None)
    y = FoundFile(tmp_path / "y" / "p.jpg", None)
    folders = {x: tmp_path / "out", y: tmp_path / "link"}
    job = plan_job([x, y], lambda f: OutputOptions(folders[f]))
    outputs = [out for pairs in job.groups.values() for _f, out in pairs]
    assert [o.name for o in outputs] == ["x_p_enhanced.jpg", "y_p_enhanced.jpg"]
    assert [r.path for r in job.renamed] == [x.path, y.path]


def test_one_photo_named_through_two_paths_is_enhanced_once(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    plain = FoundFile(tmp_path / "in" / "a.jpg", None)
    detour = FoundFile(tmp_path / "in" / "sub" / ".." / "a.jpg", None)
    job = plan_job([plain, detour], lambda _f: OutputOptions(tmp_path / "out"))
    assert job.total == 1 and not job.renamed
    assert next(iter(job.groups.values())) == [(plain, tmp_path / "out" / "a_enhanced.jpg")]


def test_a_renamed_output_never_takes_another_inputs_name(tmp_path):
    found = [FoundFile(tmp_path / "in" / n, None) for n in ("a.jpg", "a.png", "a_jpg.png")]
    job = plan_job(found, lambda _f: OutputOptions(tmp_path / "out", format="jpeg"))
    names = [out.name for pairs in job.groups.values() for _f, out in pairs]
    assert names == ["in_a_jpg_enhanced.jpg", "in_a_png_enhanced.jpg", "a_jpg_enhanced.jpg"]
    assert len(job.renamed) == 2
