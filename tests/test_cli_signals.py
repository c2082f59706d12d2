"""Stop signals through a real `zdce enhance` process (issue 20, items 10 and 11): SIGTERM,
SIGHUP and Ctrl+C (also twice, 50 ms apart) stop the batch with one line and the exit code
128 + signal; finished outputs are whole, no temporary is left, no traceback and no C++
``terminate``. And Ctrl+C before the work starts (in-process): exit 130, one line."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.conftest import dark_rgb, save_photo
from zdce_core.cli import main
from zdce_core.cli_common import STOP_SIGNALS, Interrupted, StopSignals

PHOTOS = 40
DOUBLE_CTRL_C_RUNS = 8
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("signals") / "night"
    for i in range(PHOTOS):
        save_photo(src / f"p{i:02d}.png", dark_rgb(300, 400, seed=i))
    return src


def start(photos: Path, out: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "zdce_core.cli", "--threads", "1", "enhance", str(photos)]
    return subprocess.Popen(
        [*cmd, "-o", str(out), "-q"], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )


def wait_for_outputs(proc: subprocess.Popen[str], out: Path, count: int) -> None:
    deadline = time.monotonic() + 120
    while len(list(out.glob("*.png"))) < count:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "no output appeared"
        time.sleep(0.005)


def check_stopped(proc: subprocess.Popen[str], out: Path, code: int) -> str:
    """The process ended with ``code`` before the batch did, leaving only whole outputs."""
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err and "terminate called" not in err, err
    assert "zdce: interrupted: " in err and "finished outputs are kept" in err, err
    outputs = list(out.glob("*.png"))
    assert 0 < len(outputs) < PHOTOS  # stopped before the batch ended
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in outputs)  # no .part
    for path in outputs:
        with Image.open(path) as img:
            img.load()
    return err


@pytest.mark.slow
@pytest.mark.parametrize(
    "signum",
    [getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, n)],
)
def test_a_stop_signal_ends_the_batch_cleanly(photos, tmp_path, signum):
    out = tmp_path / "out"
    proc = start(photos, out)
    wait_for_outputs(proc, out, 1)
    proc.send_signal(signum)
    err = check_stopped(proc, out, 128 + signum)
    assert err.count("zdce: interrupted") == 1


@pytest.mark.slow
def test_double_ctrl_c_never_aborts(photos, tmp_path):
    """Run a few processes at once (the machine has few cores) to keep the time small."""
    runs = []
    for i in range(DOUBLE_CTRL_C_RUNS):
        out = tmp_path / f"out{i}"
        runs.append((start(photos, out), out))
    for proc, out in runs:
        wait_for_outputs(proc, out, 1)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
    for proc, out in runs:
        check_stopped(proc, out, 130)


@pytest.mark.parametrize(
    ("raised", "code"), [(KeyboardInterrupt(), 130), (Interrupted(signal.SIGTERM), 143)]
)
def test_ctrl_c_during_discovery_is_one_line(tmp_path, monkeypatch, capsys, raised, code):
    def interrupted(*_args, **_kwargs):
        raise raised

    monkeypatch.setattr("zdce_core.discovery.discover", interrupted)
    assert main(["enhance", str(tmp_path), "-o", str(tmp_path / "o")]) == code
    assert capsys.readouterr().err == "zdce: interrupted\n"
    assert not (tmp_path / "o").exists()


def test_the_handlers_are_restored_after_a_run_without_a_signal(tmp_path):
    before = signal.getsignal(signal.SIGINT)
    main(["enhance", str(tmp_path / "none.jpg"), "-o", str(tmp_path / "o"), "-q"])
    assert signal.getsignal(signal.SIGINT) is before


def test_a_signal_outside_the_work_raises_and_inside_sets_the_token():
    stop = StopSignals()
    with pytest.raises(Interrupted) as exc:
        stop._on_signal(signal.SIGTERM, None)
    assert exc.value.signum == signal.SIGTERM and stop.exit_code == 143
    with stop.cancellable() as token:  # a signal before the work: the work stops at once
        assert token()
    later = StopSignals()
    with later.cancellable() as token:
        later._on_signal(signal.SIGINT, None)
        later._on_signal(signal.SIGINT, None)  # a repeat is ignored
        assert token() and later.exit_code == 130


def test_train_interrupted_exits_130(tmp_path, monkeypatch, capsys):
    """A training run stopped by Ctrl+C (its cancel turned true) exits 130, not 1."""
    from zdce_core import training
    from zdce_core.training_config import RunStatus, TrainResult

    def cancelled_train(config, on_progress=None, cancel=None, **_kwargs):
        assert cancel is not None
        os.kill(os.getpid(), signal.SIGINT)  # handled: sets the token, raises nothing
        assert cancel()
        return TrainResult(RunStatus.CANCELLED, 1, [], tmp_path / "run", None)

    monkeypatch.setattr(training, "train", cancelled_train)
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    try:
        for i in range(6):
            save_photo(tmp_path / "photos" / f"{i}.png")
        assert main(["train", str(tmp_path / "photos"), "--name", "m", "--epochs", "2"]) == 130
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # until the process ends
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    err = capsys.readouterr().err
    assert "interrupted; run again with --resume" in err and "Traceback" not in err
