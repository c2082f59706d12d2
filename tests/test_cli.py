import hashlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from PIL import Image

from tests.conftest import brightening_net, dark_rgb, save_photo
from zdce_core import nets
from zdce_core.cli import main
from zdce_core.model_store import user_models_dir
from zdce_core.weights import save_model


@pytest.fixture
def night(tmp_path: Path) -> Path:
    save_photo(tmp_path / "night" / "a.jpg")
    save_photo(tmp_path / "night" / "deep" / "b.png")
    (tmp_path / "night" / "readme.txt").write_text("hi")
    return tmp_path / "night"


def test_enhance_folder_end_to_end(night, tmp_path, bright_model_file, capsys):
    before = hashlib.sha256((night / "a.jpg").read_bytes()).hexdigest()
    out = tmp_path / "out"
    rc = main(["enhance", str(night), "-o", str(out), "-r", "--model", str(bright_model_file)])
    assert rc == 0
    assert (out / "a_enhanced.jpg").is_file() and (out / "deep" / "b_enhanced.png").is_file()
    err = capsys.readouterr().err
    assert "readme.txt: not an image file" in err and "2 enhanced, 0 skipped, 0 failed" in err
    assert hashlib.sha256((night / "a.jpg").read_bytes()).hexdigest() == before


def test_enhance_files_with_strength_and_format(night, tmp_path, bright_model_file):
    out = tmp_path / "out"
    args = [str(night / "a.jpg"), "--strength", "5.5", "--format", "png", "-o", str(out)]
    assert main(["enhance", *args, "--model", str(bright_model_file), "-q"]) == 0
    assert (out / "a_enhanced.png").is_file()


def test_a_failed_file_gives_exit_code_1(night, tmp_path, bright_model_file, capsys):
    (night / "bad.png").write_bytes(b"\x89PNG\r\n\x1a\n broken")
    rc = main(["enhance", str(night), "-o", str(tmp_path / "o"), "--model", str(bright_model_file)])
    assert rc == 1
    assert "bad.png" in capsys.readouterr().err


def test_reference_checkpoint_as_model(night, tmp_path):
    ckpt = tmp_path / "Epoch99.pth"
    torch.save(brightening_net().state_dict(), ckpt)
    assert (
        main(["enhance", str(night / "a.jpg"), "-o", str(tmp_path / "o"), "--model", str(ckpt)])
        == 0
    )


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--strength", "9"], "strength"),
        (["--suffix", "", "-o", "SAME"], "empty suffix"),
        (["--model", "no-such-model"], "no such model"),
        (["--device", "tpu"], "unknown device"),
    ],
)
def test_usage_errors_exit_2(night, tmp_path, bright_model_file, capsys, extra, message):
    args = [
        "enhance",
        str(night / "a.jpg"),
        "-o",
        str(tmp_path / "o"),
        "--model",
        str(bright_model_file),
    ]
    args += [str(night) if a == "SAME" else a for a in extra]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_argparse_errors_exit_2():
    with pytest.raises(SystemExit) as exc:
        main(["enhance", "--format", "gif", "x", "-o", "y"])
    assert exc.value.code == 2


def test_without_a_default_model_nothing_is_enhanced(night, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("zdce_core.model_store.bundled_models_dir", lambda: tmp_path / "none")
    assert main(["enhance", str(night), "-o", str(tmp_path / "o")]) == 2
    assert "no default model is installed" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def test_models_lists_user_models(user_home, capsys):
    save_model(
        brightening_net("dcenet++"), user_home / "models" / "concert.safetensors", {"epochs": 4}
    )
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "concert" in out and "user" in out and "dcenet++" in out and "4 epochs" in out


def test_quiet_still_reports_failures(night, tmp_path, bright_model_file, capsys):
    (night / "bad.jpg").write_bytes(b"\xff\xd8 broken")
    args = [str(night), "-o", str(tmp_path / "o"), "--model", str(bright_model_file), "-q"]
    assert main(["enhance", *args]) == 1
    err = capsys.readouterr().err
    assert "failed" in err and "bad.jpg" in err and "readme.txt" not in err


def test_ctrl_c_leaves_no_partial_output(night, tmp_path, bright_model_file, monkeypatch):
    from zdce_core import image_io

    real_save = image_io.Image.Image.save

    def interrupted_save(self, fp, *args, **kwargs):
        real_save(self, fp, *args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(image_io.Image.Image, "save", interrupted_save)
    out = tmp_path / "o"
    assert main(["enhance", str(night), "-o", str(out), "--model", str(bright_model_file)]) == 130
    assert [p for p in out.rglob("*") if p.is_file()] == []


def test_sixteen_bit_colour_is_enhanced_and_written_at_16_bits(tmp_path, bright_model_file, capsys):
    from tests.test_image_io import gradient16
    from zdce_core.deep_colour import write_png16
    from zdce_core.image_io import read_image

    write_png16(tmp_path / "c16.png", gradient16(), 3)
    args = ["enhance", str(tmp_path / "c16.png"), "-o", str(tmp_path / "o")]
    assert main([*args, "--model", str(bright_model_file)]) == 0
    assert "note" not in capsys.readouterr().err
    assert read_image(tmp_path / "o" / "c16_enhanced.png").bit_depth == 16


def test_enhance_reports_the_auto_strength(night, tmp_path, bright_model_file, capsys):
    out = tmp_path / "out"
    args = ["enhance", str(night / "a.jpg"), "-o", str(out), "--model", str(bright_model_file)]
    assert main([*args, "--verbose", "--denoise", "high", "--target-brightness", "0.4"]) == 0
    err = capsys.readouterr().err
    assert "(strength auto " in err and "a_enhanced.jpg" in err
    assert "auto exposure: strength " in err


@pytest.mark.parametrize(
    "bad", [["--strength", "9"], ["--strength", "bright"], ["--target-brightness", "1.5"]]
)
def test_bad_adjustment_options_are_usage_errors(night, tmp_path, bad, capsys):
    try:
        rc = main(["enhance", str(night), "-o", str(tmp_path / "o"), *bad])
    except SystemExit as exc:  # argparse refuses what it can parse itself
        rc = exc.code
    assert rc == 2


def test_evaluate_writes_a_contact_sheet(night, tmp_path, bright_model_file, capsys):
    sheet = tmp_path / "sheet.png"
    report = tmp_path / "r.json"
    args = ["evaluate", str(night), "--model", str(bright_model_file), "-q", "-v"]
    assert main([*args, "--sheet", str(sheet), "--json", str(report)]) == 0
    with Image.open(sheet) as img:
        assert img.width > 2 * 300 and img.height > 2 * 300  # 2 photos × (before, after)
    row = json.loads(report.read_text())[0]
    assert row["images"] == 2 and row["auto"] == "2/2" and row["loe"] >= 0
    assert row["brightness"] > row["input_brightness"]
    assert "strength auto" in capsys.readouterr().out


def test_help_and_usage_errors_do_not_load_torch():
    code = (
        "import sys\n"
        "from zdce_core.cli import main\n"
        "try:\n"
        "    main(['enhance', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "main(['enhance', 'x.jpg', '-o', 'out', '--target-brightness', '2'])\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_models_lists_without_loading_torch():
    save_model(nets.build("dcenet++"), user_models_dir() / "mine.safetensors")
    code = (
        "import sys\n"
        "from zdce_core.cli import main\n"
        "main(['models'])\n"
        "print('torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    *listing, imported = done.stdout.strip().splitlines()
    assert any(line.split()[:3] == ["mine", "user", "dcenet++"] for line in listing)
    assert imported == "False"


def test_an_output_path_that_is_a_file_is_one_usage_error(night, tmp_path, capsys):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF")
    assert main(["enhance", str(night), "-o", str(target)]) == 2
    err = capsys.readouterr().err
    assert "zdce: error: the output folder" in err and "is a file" in err
    assert "Errno" not in err and target.read_bytes() == b"%PDF"


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_run_killed_during_writes_leaves_only_whole_files_and_the_next_finishes(tmp_path):
    src = tmp_path / "night"
    for i in range(24):
        save_photo(src / f"p{i:02d}.png", dark_rgb(240, 320, seed=i))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "zdce_core.cli", "enhance", str(src), "-o", str(out), "-q"]
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*.png"))) < 3:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for path in out.glob("*.png"):  # every file under a final name is whole
        with Image.open(path) as img:
            img.load()
    # the killed run's temporaries are removed at once by the next run (their writer is gone)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0
    assert len(list(out.glob("*.png"))) == 24 and not list(out.glob(".*"))


def test_the_program_says_everything_and_exits_with_the_commands_code(night, tmp_path):
    """``zdce`` (``cli.run``) leaves without the interpreter's teardown: what it printed into
    a pipe still arrives, and the exit code is the command's (1: one photo failed)."""
    (night / "broken.jpg").write_bytes(b"not a photo")
    out = tmp_path / "out"
    code = "from zdce_core.cli import run\nrun()\n"
    argv = ["enhance", str(night), "-o", str(out), "-r", "-v"]
    done = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True)
    assert done.returncode == 1
    said = done.stdout + done.stderr
    assert said.count("done ") == 2 and "broken.jpg" in said
    assert "2 enhanced, 0 skipped, 1 failed of 3" in said
    assert sorted(p.name for p in out.rglob("*_enhanced.*")) == ["a_enhanced.jpg", "b_enhanced.png"]
