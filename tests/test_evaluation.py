import json

import pytest
import torch

from tests.conftest import save_photo
from zdce_core.cli import main
from zdce_core.evaluation import output_stats
from zdce_core.training_data import split_files


def test_output_stats():
    img = torch.zeros(1, 3, 10, 10)
    img[:, 0] = 0.6
    img[:, 1] = 0.4
    img[:, 2] = 0.5
    img[:, :, 0, :5] = 1.0  # 5 of 100 pixels blown out
    brightness, clipped, cast = output_stats(img)
    assert brightness == pytest.approx(float(img.mean()))
    assert clipped == pytest.approx(0.05)
    means = img.mean((0, 2, 3))
    assert cast == pytest.approx(float((means.max() - means.min()) / img.mean()))


def test_split_files_holds_out_every_nth(tmp_path):
    files = [tmp_path / f"{i:02d}.jpg" for i in range(10)]
    train, val = split_files(files, 5)
    assert [p.name for p in val] == ["04.jpg", "09.jpg"] and len(train) == 8


def test_evaluate_cli_compares_models(tmp_path, bright_model_file, model_file, capsys):
    for i in range(4):
        save_photo(tmp_path / "photos" / f"{i}.png")
    out = tmp_path / "report.json"
    args = [
        "evaluate",
        str(tmp_path / "photos"),
        "--model",
        str(bright_model_file),
        "--model",
        str(model_file),
        "--json",
        str(out),
        "-q",
    ]
    assert main(args) == 0
    rows = json.loads(out.read_text())
    assert [r["model"] for r in rows] == ["bright.safetensors", "random.safetensors"]
    bright = rows[0]
    assert bright["images"] == 4 and bright["brightness"] > bright["input_brightness"] + 0.1
    assert bright["near_white_growth_percent"] >= 0.0 and bright["grey_cast"] is not None
    assert "bright.safetensors" in capsys.readouterr().out
    assert main([*args, "--darker-than", "0.01"]) == 0
    assert json.loads(out.read_text())[0]["images"] == 0
