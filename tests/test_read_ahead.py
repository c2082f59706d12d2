"""The first photo's decode started ahead of the batch (the CLI starts it while torch is
imported): the batch takes it instead of decoding the photo again, and only for that photo."""

import gc
import weakref
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import brightening_net, dark_rgb, save_photo
from zdce_core import read_ahead
from zdce_core.adjustments import FIXED_FULL
from zdce_core.batch import iter_batch
from zdce_core.batch_events import FailKind, ItemFinished, ItemStatus
from zdce_core.cli import main
from zdce_core.discovery import discover
from zdce_core.enhancer import Enhancer
from zdce_core.outputs import OutputOptions, plan
from zdce_core.raw_io import WhiteBalance
from zdce_core.read_ahead import start_reading
from zdce_core.weights import LoadedModel


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How many times each photo (by file name) is decoded."""
    counts: Counter[str] = Counter()
    real = read_ahead.read_image

    def counted(path, **kwargs):
        counts[Path(path).name] += 1
        return real(path, **kwargs)

    monkeypatch.setattr(read_ahead, "read_image", counted)
    return counts


@pytest.fixture
def night(tmp_path: Path) -> Path:
    save_photo(tmp_path / "night" / "a.jpg")
    save_photo(tmp_path / "night" / "b.jpg", dark_rgb(seed=1))
    return tmp_path / "night"


def enhance(night: Path, out: Path, early=None) -> list[ItemFinished]:
    found, _ = discover([night])
    pairs, _ = plan(found, OutputOptions(folder=out))
    enhancer = Enhancer(LoadedModel(brightening_net()), "cpu")
    events = iter_batch(pairs, enhancer, OutputOptions(folder=out), FIXED_FULL, early=early)
    return [e for e in events if isinstance(e, ItemFinished)]


def test_the_batch_takes_the_early_read_of_its_first_photo(night, tmp_path, reads):
    plain = enhance(night, tmp_path / "plain")
    assert reads == {"a.jpg": 1, "b.jpg": 1}
    reads.clear()
    early = start_reading(night / "a.jpg", WhiteBalance.CAMERA)
    items = enhance(night, tmp_path / "early", early)
    assert reads == {"a.jpg": 1, "b.jpg": 1}  # a.jpg decoded once, ahead of the batch
    assert [i.status for i in items] == [ItemStatus.DONE] * 2
    for item, before in zip(items, plain, strict=True):
        assert item.output is not None and before.output is not None
        assert item.output.read_bytes() == before.output.read_bytes()


@pytest.mark.parametrize(
    ("name", "balance"), [("b.jpg", WhiteBalance.CAMERA), ("a.jpg", WhiteBalance.AUTO)]
)
def test_an_early_read_of_another_photo_or_balance_is_not_used(
    night, tmp_path, reads, name, balance
):
    early = start_reading(night / name, balance)
    items = enhance(night, tmp_path / "out", early)
    assert [i.status for i in items] == [ItemStatus.DONE] * 2
    assert reads["a.jpg"] == 1 + (name == "a.jpg")  # the batch decoded it itself
    assert early.take(night / name, balance) is None  # and the early decode was let go


def test_an_early_read_that_fails_is_the_photos_failure(tmp_path):
    night = tmp_path / "night"
    night.mkdir()
    (night / "a.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    save_photo(night / "b.jpg")
    items = enhance(night, tmp_path / "out", start_reading(night / "a.jpg", WhiteBalance.CAMERA))
    assert [i.status for i in items] == [ItemStatus.FAILED, ItemStatus.DONE]
    assert items[0].path.name == "a.jpg" and items[0].failure is FailKind.UNREADABLE
    assert "corrupt or truncated" in items[0].reason


def test_the_command_line_decodes_each_photo_once(night, tmp_path, reads, bright_model_file):
    out = tmp_path / "out"
    assert main(["enhance", str(night), "-o", str(out), "--model", str(bright_model_file)]) == 0
    assert reads == {"a.jpg": 1, "b.jpg": 1}
    assert sorted(p.name for p in out.iterdir()) == ["a_enhanced.jpg", "b_enhanced.jpg"]


def test_the_early_photo_is_freed_when_the_batch_is_done_with_it(night, tmp_path, monkeypatch):
    """Neither the early read nor the batch keeps the first photo's pixels once its result
    is written (a 100 MP photo held 300 MB more through the rest of the command)."""
    decoded: dict[str, weakref.ref] = {}
    real = read_ahead.read_image

    def remembered(path, **kwargs):
        photo = real(path, **kwargs)
        decoded[Path(path).name] = weakref.ref(photo.pixels)
        return photo

    monkeypatch.setattr(read_ahead, "read_image", remembered)
    early = start_reading(night / "a.jpg", WhiteBalance.CAMERA)
    found, _ = discover([night])
    opts = OutputOptions(folder=tmp_path / "out")
    pairs, _ = plan(found, opts)
    enhancer = Enhancer(LoadedModel(brightening_net()), "cpu")
    events = iter_batch(pairs, enhancer, opts, FIXED_FULL, early=early)
    first = next(e for e in events if isinstance(e, ItemFinished))
    assert first.path.name == "a.jpg" and first.status is ItemStatus.DONE
    gc.collect()
    assert decoded["a.jpg"]() is None
    assert early.take(night / "a.jpg", WhiteBalance.CAMERA) is None  # given once
