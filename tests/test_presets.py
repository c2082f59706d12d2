"""Presets (issue 21, item 3): named settings as small JSON files, a few built in, listed by
``zdce presets`` and applied by ``zdce enhance --preset NAME`` (options given override)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from tests.conftest import save_photo
from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments, Denoise
from zdce_core.cli import build_parser, main
from zdce_core.cli_common import EXIT_OK, EXIT_USAGE, adjustments_from_args
from zdce_core.outputs import FolderRule, Unchanged
from zdce_core.presets import (
    BUILTIN_PRESETS,
    Preset,
    PresetError,
    PresetExists,
    list_presets,
    save_preset,
    user_presets_dir,
)


def test_zdce_presets_lists_the_built_ins_with_their_settings(capsys):
    assert main(["presets"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(BUILTIN_PRESETS) == 3
    night = next(line for line in lines if line.startswith("Night — keep it dark"))
    assert "built-in" in night and "target 0.30" in night and "denoise medium" in night


def test_a_saved_preset_is_listed_and_read_back(capsys):
    preset = Preset(
        "Dusk 2",
        Adjustments(strength=3.5, target_brightness=0.4, denoise=Denoise.OFF),
        format="png",
        quality=80,
        name_template="{name}-{strength}",
        folder_rule=FolderRule.BESIDE,
        long_edge=1024,
        unchanged=Unchanged.SKIP,
    )
    path = save_preset(preset)
    assert path == user_presets_dir() / "Dusk 2.json"
    presets, problems = list_presets()
    assert problems == [] and presets[-1] == preset
    with pytest.raises(PresetExists):
        save_preset(preset)
    assert main(["presets"]) == EXIT_OK
    line = capsys.readouterr().out.splitlines()[-1]
    assert line.startswith("Dusk 2") and "user" in line and "strength 3.5" in line
    assert "long edge 1024 px" in line and "unchanged photos: skip" in line


def test_a_preset_keeps_the_cast_correction_and_old_presets_correct_casts():
    kept = Preset("Sodium", Adjustments(correct_cast=False))
    assert kept.to_json()["cast_correction"] is False
    assert Preset.from_json("Sodium", kept.to_json()) == kept
    assert "colour casts kept" in kept.summary()
    older = {k: v for k, v in kept.to_json().items() if k != "cast_correction"}
    assert Preset.from_json("Old", older).adjustments.correct_cast
    with pytest.raises(PresetError):
        Preset.from_json("Bad", {**kept.to_json(), "cast_correction": "sometimes"})


@pytest.mark.parametrize("name", ["../evil", "a/b", ".hidden", "", "Natural", "CON"])
def test_unusable_preset_names_are_refused(name):
    with pytest.raises(PresetError):
        save_preset(Preset(name))


def test_an_unknown_preset_is_one_line_and_exit_2(tmp_path, bright_model_file, capsys):
    save_photo(tmp_path / "a.jpg")
    args = [
        "enhance",
        str(tmp_path / "a.jpg"),
        "--preset",
        "Nope",
        "--model",
        str(bright_model_file),
    ]
    assert main(args) == EXIT_USAGE
    errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
    assert len(errors) == 1 and "no preset named 'Nope'" in errors[0]


def test_a_corrupt_preset_file_is_reported_and_ignored(capsys):
    folder = user_presets_dir()
    folder.mkdir(parents=True)
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "wrong.json").write_text(json.dumps({"quality": 500}), encoding="utf-8")
    save_preset(Preset("Fine"))
    assert main(["presets"]) == EXIT_OK
    captured = capsys.readouterr()
    assert [line.split()[0] for line in captured.out.splitlines()][-1] == "Fine"
    assert "broken.json: not valid JSON" in captured.err
    assert "wrong.json: quality must be between 1 and 100" in captured.err


def test_a_preset_drives_enhance_and_options_override_it(tmp_path, bright_model_file, capsys):
    photos = tmp_path / "photos"
    save_photo(photos / "a.jpg")
    save_preset(
        Preset(
            "Small png",
            Adjustments(strength=2.0),
            format="png",
            name_template="{name}_s{strength}",
            folder_rule=FolderRule.BESIDE,
            long_edge=32,
        )
    )
    model = ["--model", str(bright_model_file), "--device", "cpu"]
    assert main(["enhance", str(photos), "--preset", "small PNG", *model]) == EXIT_OK
    with Image.open(photos / "a_s2.0.png") as img:
        assert img.size == (32, 24)
    out = tmp_path / "out"
    overrides = ["-o", str(out), "--format", "jpeg", "-s", "4", "--long-edge", "16"]
    assert (
        main(["enhance", str(photos / "a.jpg"), "--preset", "Small png", *overrides, *model]) == 0
    )
    with Image.open(out / "a_s4.0.jpg") as img:
        assert img.size == (16, 12)
    capsys.readouterr()


def test_cast_correction_comes_from_the_preset_unless_the_command_line_says():
    parser = build_parser()
    kept = Adjustments(correct_cast=False)

    def look(*options: str, base: Adjustments = DEFAULT_ADJUSTMENTS) -> Adjustments:
        return adjustments_from_args(parser.parse_args(["enhance", "x", *options]), base)

    assert look().correct_cast
    assert not look("--no-cast-correction").correct_cast
    assert not look(base=kept).correct_cast
    assert look("--cast-correction", base=kept).correct_cast
