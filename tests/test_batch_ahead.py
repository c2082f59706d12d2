"""The batch analyses a large photo ahead of its turn, while the previous result is encoded:
once per photo, in its own thread, to the same outputs."""

import threading
from pathlib import Path

import pytest

from tests.conftest import brightening_net, dark_rgb, save_photo
from zdce_core import batch_ahead
from zdce_core.adjustments import Adjustments
from zdce_core.batch import ItemFinished, ItemStatus, iter_batch
from zdce_core.discovery import discover
from zdce_core.enhancer import Enhancer
from zdce_core.outputs import OutputOptions, plan
from zdce_core.weights import LoadedModel


def run(night: Path, out: Path, monkeypatch, ahead_from: float) -> tuple[list[str], dict]:
    """Enhance ``night``; returns the threads that estimated each photo's maps, in order,
    and the outputs' bytes by name."""
    monkeypatch.setattr(batch_ahead, "AHEAD_FROM", ahead_from)
    enhancer = Enhancer(LoadedModel(brightening_net()), "cpu")
    threads: list[str] = []
    estimate = enhancer.estimate_downscaled

    def recorded(pixels):
        threads.append(threading.current_thread().name)
        return estimate(pixels)

    monkeypatch.setattr(enhancer, "estimate_downscaled", recorded)
    found, _ = discover([night])
    opts = OutputOptions(folder=out)
    pairs, _ = plan(found, opts)
    items = [
        e for e in iter_batch(pairs, enhancer, opts, Adjustments()) if isinstance(e, ItemFinished)
    ]
    assert [i.status for i in items] == [ItemStatus.DONE] * len(pairs)
    return threads, {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture
def night(tmp_path: Path) -> Path:
    for i in range(3):
        save_photo(tmp_path / "night" / f"{i}.png", dark_rgb(seed=i))
    return tmp_path / "night"


def test_large_photos_are_analysed_ahead_once_to_the_same_outputs(night, tmp_path, monkeypatch):
    threads, ahead = run(night, tmp_path / "ahead", monkeypatch, ahead_from=0.0)
    main = threading.current_thread().name
    assert threads[0] == main  # the first photo: in its turn
    assert len(threads) == 3 and all(t.startswith("zdce-ahead") for t in threads[1:])
    inline_threads, inline = run(night, tmp_path / "inline", monkeypatch, ahead_from=1e9)
    assert inline_threads == [main] * 3  # small photos: each in its turn
    assert ahead == inline
