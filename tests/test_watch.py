"""Hot folders (issue 23): ``zdce watch``.

In-process and fast: the names never taken, the settle logic and the exactly-once record
with fake clocks and a fake per-photo step, the usage errors. Slow (subprocesses): a real
watch on a temporary folder takes photos copied in whole, written slowly in chunks, moved
in, dropped as ``.part`` and renamed, a corrupt one and 200 at once, each once; a restart
redoes nothing but a photo overwritten with new content; SIGTERM leaves no temporary; the
idle watch uses no CPU.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image

from tests.synthetic import dark_rgb
from zdce_core.batch_events import FailKind, ItemFinished, ItemStatus
from zdce_core.cli import main
from zdce_core.discovery import FoundFile
from zdce_core.hot_folder import HotFolder
from zdce_core.outputs import OutputOptions
from zdce_core.watch import (
    STATE_FILE,
    Handled,
    Settler,
    Unwatched,
    Verdict,
    WatchState,
    judge,
    output_folder_problem,
    parse_duration,
    watched_problem,
)


def jpeg_bytes(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(dark_rgb(24, 32, seed=seed)).save(buffer, format="JPEG")
    return buffer.getvalue()


# --- names, durations, output folders ---------------------------------------------------


def test_durations():
    assert parse_duration("2s") == 2.0
    assert parse_duration("500ms") == 0.5
    assert parse_duration("1.5") == 1.5
    assert parse_duration("1m") == 60.0
    with pytest.raises(ValueError, match="duration"):
        parse_duration("soon")


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a.jpg", None),
        ("sub/a.jpg", Unwatched.SUBFOLDER),
        ("a.jpg.part", Unwatched.HIDDEN_OR_TEMPORARY),
        ("a.jpg.crdownload", Unwatched.HIDDEN_OR_TEMPORARY),
        ("~$a.jpg", Unwatched.HIDDEN_OR_TEMPORARY),
        (".a.jpg", Unwatched.HIDDEN_OR_TEMPORARY),
        (".zdce-tmp-host-1-abcdefgh-a.jpg.part", Unwatched.HIDDEN_OR_TEMPORARY),
        ("notes.txt", Unwatched.NOT_IMAGE),
    ],
)
def test_names_never_taken(tmp_path, name, why):
    assert watched_problem(tmp_path / name, tmp_path, recursive=False) is why


def test_subfolders_with_recursive_but_not_hidden_ones_nor_the_output(tmp_path):
    out = tmp_path / "out"
    assert watched_problem(tmp_path / "sub" / "a.jpg", tmp_path, True, out) is None
    assert watched_problem(tmp_path / ".sync" / "a.jpg", tmp_path, True, out) is (
        Unwatched.HIDDEN_OR_TEMPORARY
    )
    assert watched_problem(out / "a_enhanced.jpg", tmp_path, True, out) is Unwatched.OUTPUT
    assert watched_problem(tmp_path.parent / "a.jpg", tmp_path, True, out) is Unwatched.OUTSIDE


def test_the_output_folder_may_not_be_watched(tmp_path):
    assert "is the watched folder" in (output_folder_problem(tmp_path, tmp_path, False) or "")
    inside = tmp_path / "out"
    assert "inside the watched folder" in (output_folder_problem(tmp_path, inside, True) or "")
    assert output_folder_problem(tmp_path, inside, recursive=False) is None  # not watched
    assert output_folder_problem(tmp_path / "in", tmp_path / "out", True) is None


# --- settling, with a fake clock and fake file stamps -----------------------------------


@dataclass
class FakeDisk:
    now: float = 0.0
    stamps: dict[Path, tuple[int, int]] = field(default_factory=dict)
    looked: int = 0

    def clock(self) -> float:
        return self.now

    def stamp_of(self, path: Path) -> tuple[int, int] | None:
        self.looked += 1
        return self.stamps.get(path)


def test_a_photo_is_ready_once_it_stayed_the_same_for_the_settle_time():
    disk, a = FakeDisk(), Path("/in/a.jpg")
    settler = Settler(2.0, disk.clock, disk.stamp_of)
    disk.stamps[a] = (100, 1)
    settler.note(a)
    assert settler.next_due() == 2.0
    disk.now = 1.9
    assert settler.take_ready() == []
    disk.now = 2.0
    assert settler.take_ready() == [a]
    assert len(settler) == 0 and settler.next_due() is None


def test_a_photo_still_being_written_is_put_off_until_it_stops_changing():
    disk, a = FakeDisk(), Path("/in/a.jpg")
    settler = Settler(2.0, disk.clock, disk.stamp_of)
    for second in range(10):  # written slowly over 10 s, without events (a network share)
        disk.now = float(second)
        disk.stamps[a] = (100 * (second + 1), second)
        if second == 0:
            settler.note(a)
        assert settler.take_ready() == []
    disk.now = 10.0
    assert settler.take_ready() == []  # changed since the last look: put off
    disk.now = 12.0
    assert settler.take_ready() == [a]


def test_events_put_the_deadline_off_and_files_are_looked_at_only_at_deadlines():
    disk, a = FakeDisk(), Path("/in/a.jpg")
    settler = Settler(2.0, disk.clock, disk.stamp_of)
    disk.stamps[a] = (1, 1)
    settler.note(a)
    disk.now = 1.5
    disk.stamps[a] = (2, 2)
    settler.note(a)  # a write event
    looked = disk.looked
    disk.now = 3.0
    assert settler.take_ready() == []
    assert disk.looked == looked  # not due yet: not even looked at
    disk.now = 3.5
    assert settler.take_ready() == [a]


def test_a_file_gone_before_it_settled_is_dropped():
    disk, a = FakeDisk(), Path("/in/a.jpg.part")
    settler = Settler(1.0, disk.clock, disk.stamp_of)
    disk.stamps[a] = (5, 5)
    settler.note(a)
    del disk.stamps[a]  # renamed to its final name (which arrives as its own event)
    disk.now = 1.0
    assert settler.take_ready() == [] and len(settler) == 0


# --- exactly once ------------------------------------------------------------------------


def test_judging_a_settled_photo():
    known = Handled(10, 1, "abc", "a_enhanced.jpg")

    def never() -> str:
        raise AssertionError("the digest is not needed when the stamp is the same")

    assert judge(known, (10, 1), never) == (Verdict.DONE, "abc")
    assert judge(known, (10, 2), lambda: "abc") == (Verdict.DONE, "abc")  # touched
    assert judge(known, (11, 2), lambda: "def") == (Verdict.CHANGED, "def")
    assert judge(None, (11, 2), lambda: "def") == (Verdict.NEW, "def")


def test_the_state_survives_a_restart_and_a_torn_last_line(tmp_path):
    state = WatchState(tmp_path)
    state.record("a.jpg", Handled(1, 2, "x", "a_enhanced.jpg"))
    state.record("a.jpg", Handled(3, 4, "y", "a_enhanced.jpg"))
    with open(tmp_path / STATE_FILE, "a", encoding="utf-8") as out:
        out.write('{"input": "b.jpg", "si')  # killed while appending
    again = WatchState(tmp_path)
    assert len(again) == 1 and again.get("a.jpg") == Handled(3, 4, "y", "a_enhanced.jpg")
    lines = (tmp_path / STATE_FILE).read_text().splitlines()
    assert len(lines) == 1  # three lines for one input: rewritten


@dataclass
class FakeStep:
    """The batch's per-photo step: writes the output unless it exists and may not be
    replaced; a file named bad* fails as unreadable."""

    calls: list[tuple[Path, bool]] = field(default_factory=list)

    def __call__(self, found: FoundFile, out: Path, opts: OutputOptions) -> ItemFinished:
        self.calls.append((found.path, opts.overwrite))
        if found.path.name.startswith("bad"):
            return ItemFinished(
                0, 1, found.path, ItemStatus.FAILED, None, "broken", failure=FailKind.UNREADABLE
            )
        if out.exists() and not opts.overwrite:
            return ItemFinished(0, 1, found.path, ItemStatus.SKIPPED, out, "exists")
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(found.path.read_bytes())
        return ItemFinished(0, 1, found.path, ItemStatus.DONE, out)


def test_each_content_is_handled_once_across_restarts(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    photo, bad = src / "a.jpg", src / "bad.jpg"
    photo.write_bytes(b"one")
    bad.write_bytes(b"junk")
    step = FakeStep()
    hot = HotFolder(src, OutputOptions(folder=out), False, 1.0)
    assert hot.handle(photo, step)[0] is Verdict.NEW
    assert hot.handle(bad, step)[1].status is ItemStatus.FAILED
    assert hot.handle(photo, step) == (Verdict.DONE, None)
    restarted = HotFolder(src, OutputOptions(folder=out), False, 1.0)
    assert restarted.handle(photo, step) == (Verdict.DONE, None)
    assert restarted.handle(bad, step) == (Verdict.DONE, None)  # not retried, not reported
    assert step.calls == [(photo, False), (bad, False)]
    os.utime(photo, ns=(1, 10**18))  # touched: the same content, recorded with its new time
    assert restarted.handle(photo, step) == (Verdict.DONE, None)
    assert restarted.state.get("a.jpg").mtime_ns == 10**18
    assert len(step.calls) == 2
    photo.write_bytes(b"two")  # overwritten with new content: its own output is replaced
    verdict, item = restarted.handle(photo, step)
    assert verdict is Verdict.CHANGED and item is not None and item.status is ItemStatus.DONE
    assert step.calls[-1] == (photo, True)
    assert (out / "a_enhanced.jpg").read_bytes() == b"two"


def test_an_output_the_watch_did_not_write_is_never_replaced(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    out.mkdir()
    (out / "a_enhanced.jpg").write_bytes(b"the user's")
    (src / "a.jpg").write_bytes(b"one")
    step = FakeStep()
    hot = HotFolder(src, OutputOptions(folder=out), False, 1.0)
    assert hot.handle(src / "a.jpg", step)[1].status is ItemStatus.SKIPPED
    (src / "a.jpg").write_bytes(b"two")
    assert hot.handle(src / "a.jpg", step)[1].status is ItemStatus.SKIPPED
    assert step.calls == [(src / "a.jpg", False), (src / "a.jpg", False)]
    assert (out / "a_enhanced.jpg").read_bytes() == b"the user's"


def test_the_wait_takes_queued_arrivals_and_leaves_others_alone(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.jpg", "b.jpg.part", ".c.jpg", "d.txt"):
        (src / name).write_bytes(b"x")
    hot = HotFolder(src, OutputOptions(folder=tmp_path / "out"), False, 0.0)
    hot.add_existing()
    assert hot.wait(timeout=1.0) == [src / "a.jpg"]
    assert hot.wait(timeout=0.05) == []


def test_polling_is_used_when_the_system_refuses_events(tmp_path, monkeypatch):
    class Refused:
        def __init__(self) -> None:
            raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr("zdce_core.hot_folder.Observer", Refused)
    hot = HotFolder(tmp_path / "in", OutputOptions(folder=tmp_path / "out"), False, 0.0)
    hot.root.mkdir()
    try:
        how = hot.start()
        assert how.startswith("polling") and "inotify watch limit reached" in how
    finally:
        hot.stop()


# --- usage -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["-o", "{in}"], "is the watched folder"),
        (["-o", "{in}/out", "-r"], "inside the watched folder"),
        (["--beside"], "a watch writes into another folder"),
    ],
)
def test_usage_errors(tmp_path, capsys, extra, message):
    src = tmp_path / "in"
    src.mkdir()
    assert main(["watch", str(src), *[a.replace("{in}", str(src)) for a in extra]]) == 2
    assert message in capsys.readouterr().err


def test_a_settle_time_that_is_no_duration_is_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["watch", str(tmp_path), "-o", str(tmp_path / "o"), "--after", "soon"])
    assert exc.value.code == 2 and "duration" in capsys.readouterr().err


# --- a real watch (subprocesses) ---------------------------------------------------------

pytestmark_posix = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
SETTLE = "0.6s"
BURST = 200


class Watch:
    """A ``zdce watch`` subprocess whose stderr lines are collected by a thread."""

    def __init__(self, src: Path, out: Path, *extra: str) -> None:
        cmd = [sys.executable, "-m", "zdce_core.cli", "--threads", "1", "watch", str(src)]
        self.proc = subprocess.Popen(
            [*cmd, "-o", str(out), "--after", SETTLE, *extra],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        self.lines: list[str] = []
        assert self.proc.stderr is not None
        stream = self.proc.stderr
        self._reader = threading.Thread(target=lambda: self.lines.extend(stream), daemon=True)
        self._reader.start()
        self.wait_for(lambda: any("zdce: watching" in line for line in self.lines))

    def wait_for(self, done, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert self.proc.poll() is None, "".join(self.lines)
            assert time.monotonic() < deadline, "".join(self.lines)
            time.sleep(0.05)

    def stop(self, signum: int) -> str:
        self.proc.send_signal(signum)
        self.proc.wait(timeout=60)
        self._reader.join(timeout=10)
        text = "".join(self.lines)
        assert self.proc.returncode == 128 + signum, text
        assert "Traceback" not in text and "zdce: watch stopped" in text, text
        return text

    def done_lines(self) -> list[str]:
        return [line for line in self.lines if line.startswith("done ")]


def no_temporaries(out: Path) -> bool:
    return not [p for p in out.rglob("*") if p.name.startswith(".zdce-tmp-")]


def decodes(path: Path) -> bool:
    with Image.open(path) as img:
        img.load()
    return True


@pytest.mark.slow
@pytestmark_posix
def test_a_watch_takes_each_arrival_once_whole_and_a_restart_redoes_nothing(tmp_path):
    src, out, elsewhere = tmp_path / "in", tmp_path / "out", tmp_path / "elsewhere"
    src.mkdir()
    elsewhere.mkdir()
    originals: dict[str, bytes] = {}
    watch = Watch(src, out)
    originals["copied.jpg"] = jpeg_bytes(1)  # copied in whole
    (elsewhere / "copied.jpg").write_bytes(originals["copied.jpg"])
    shutil.copy(elsewhere / "copied.jpg", src / "copied.jpg")
    originals["moved.jpg"] = jpeg_bytes(2)  # moved in (a rename: one event)
    (elsewhere / "moved.jpg").write_bytes(originals["moved.jpg"])
    os.rename(elsewhere / "moved.jpg", src / "moved.jpg")
    originals["bad.jpg"] = b"\xff\xd8 not a photo at all"
    (src / "bad.jpg").write_bytes(originals["bad.jpg"])
    originals["slow.jpg"] = jpeg_bytes(3)  # written slowly: pauses shorter than the settle time
    with open(src / "slow.jpg", "wb") as slow:
        data = originals["slow.jpg"]
        for start in range(0, len(data), len(data) // 5 + 1):
            slow.write(data[start : start + len(data) // 5 + 1])
            slow.flush()
            time.sleep(0.3)
    originals["renamed.jpg"] = jpeg_bytes(4)  # downloaded as .part, renamed when complete
    (src / "renamed.jpg.part").write_bytes(originals["renamed.jpg"][:100])
    time.sleep(1.0)  # longer than the settle time: a .part is never taken
    with open(src / "renamed.jpg.part", "ab") as part:
        part.write(originals["renamed.jpg"][100:])
    os.rename(src / "renamed.jpg.part", src / "renamed.jpg")
    for i in range(BURST):  # 200 at once
        originals[f"p{i:03d}.jpg"] = data = jpeg_bytes(10 + i)
        (src / f"p{i:03d}.jpg").write_bytes(data)
    expected = {f"{Path(n).stem}_enhanced.jpg" for n in originals if n != "bad.jpg"}
    watch.wait_for(lambda: len(watch.done_lines()) >= len(expected))
    watch.wait_for(lambda: any(line.startswith("failed ") for line in watch.lines))
    time.sleep(1.5)  # nothing more comes
    text = watch.stop(signal.SIGTERM)
    assert len(watch.done_lines()) == len(expected), text  # each once
    assert [line for line in watch.lines if line.startswith("failed ")] == [
        line for line in watch.lines if "bad.jpg" in line
    ]
    assert {p.name for p in out.iterdir() if not p.name.startswith(".")} == expected
    assert no_temporaries(out)
    assert all(decodes(out / name) for name in expected)
    for name, data in originals.items():
        assert (src / name).read_bytes() == data
    with Image.open(out / "slow_enhanced.jpg") as img:  # whole, not the first chunk
        assert img.size == (32, 24)

    times = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    again = Watch(src, out, "--process-existing")
    time.sleep(2.5)  # every file settled and was judged
    assert again.done_lines() == [] and not [x for x in again.lines if x.startswith("failed")]
    originals["copied.jpg"] = jpeg_bytes(99)  # overwritten with new content
    (src / "copied.jpg").write_bytes(originals["copied.jpg"])
    again.wait_for(lambda: len(again.done_lines()) == 1)
    text = again.stop(signal.SIGINT)
    assert "copied.jpg" in again.done_lines()[0] and "(new content)" in text
    for name, mtime in times.items():
        if name not in ("copied_enhanced.jpg", ".zdce-watch.jsonl"):
            assert (out / name).stat().st_mtime_ns == mtime, name
    assert decodes(out / "copied_enhanced.jpg") and no_temporaries(out)


@pytest.mark.slow
@pytestmark_posix
def test_sigterm_while_photos_are_enhanced_finishes_the_one_in_hand(tmp_path):
    src, out = tmp_path / "in", tmp_path / "out"
    src.mkdir()
    watch = Watch(src, out)
    for i in range(BURST):
        (src / f"p{i:03d}.jpg").write_bytes(jpeg_bytes(i))
    watch.wait_for(lambda: len(watch.done_lines()) >= 1)
    watch.stop(signal.SIGTERM)
    outputs = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert outputs and no_temporaries(out)
    assert all(decodes(p) for p in outputs)


def child_cpu_seconds(src: Path, out: Path, idle: float) -> float:
    """CPU seconds (user + system) of a watch that starts, waits ``idle`` seconds with
    nothing arriving, and is stopped."""
    import resource  # POSIX only

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    watch = Watch(src, out)
    time.sleep(idle)
    watch.stop(signal.SIGINT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.slow
@pytestmark_posix
def test_an_idle_watch_uses_no_cpu(tmp_path):
    """Busy polling would show as seconds of CPU over the 5 idle seconds; start-up (importing
    torch, loading the model) is measured apart and taken off."""
    src = tmp_path / "in"
    src.mkdir()
    start_up = child_cpu_seconds(src, tmp_path / "o1", 0.0)
    idle = child_cpu_seconds(src, tmp_path / "o2", 5.0)
    assert idle - start_up < 0.75, (start_up, idle)
