import hashlib
import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import brightening_net, dark_rgb, darkening_net, save_photo
from zdce_core import batch as batch_module
from zdce_core import enhancer as enh
from zdce_core.adjustments import FIXED_FULL
from zdce_core.atomic import temporary_name
from zdce_core.batch import iter_batch
from zdce_core.batch_events import BatchFinished, FailKind, ItemFinished, ItemStatus
from zdce_core.batch_job import Progress, plan_job, run_job
from zdce_core.cancel import CancelToken
from zdce_core.discovery import FoundFile, discover
from zdce_core.enhancer import Enhancer
from zdce_core.outputs import OutputOptions, PlanError, output_path, plan
from zdce_core.pipeline import BrokenResult, check_result
from zdce_core.weights import LoadedModel


@pytest.fixture
def enhancer() -> Enhancer:
    return Enhancer(LoadedModel(brightening_net()), "cpu")


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    src = tmp_path / "night"
    save_photo(src / "a.jpg")
    save_photo(src / "B.JPG", dark_rgb(seed=1))
    save_photo(src / "sub" / "c.png", dark_rgb(seed=2))
    save_photo(src / "sub" / "deeper" / "d.tif", dark_rgb(seed=3))
    (src / "notes.txt").write_text("shopping list")
    (src / ".hidden.jpg").write_bytes(b"x")
    (src / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    return src


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run(pairs, enhancer, opts, **kwargs) -> tuple[list[ItemFinished], object]:
    events = list(iter_batch(pairs, enhancer, opts, **kwargs))
    assert isinstance(events[-1], BatchFinished)
    return [e for e in events if isinstance(e, ItemFinished)], events[-1].summary


def test_discovery_skips_hidden_and_non_images(photos):
    found, ignored = discover([photos], recursive=True)
    assert [f.relative.as_posix() for f in found] == [
        "B.JPG",
        "a.jpg",
        "broken.jpg",
        "sub/c.png",
        "sub/deeper/d.tif",
    ]
    reasons = {i.path.name: i.reason for i in ignored}
    assert reasons == {".hidden.jpg": "hidden file", "notes.txt": "not an image file"}
    flat, _ = discover([photos], recursive=False)
    assert len(flat) == 3
    _, missing = discover([photos / "nope"])
    assert missing[0].reason == "no such file or folder"


def test_batch_mirrors_folders_reports_failures_and_keeps_inputs(photos, tmp_path, enhancer):
    before = digest(photos)
    out = tmp_path / "out"
    found, _ = discover([photos], recursive=True)
    pairs, _ = plan(found, OutputOptions(out))
    items, summary = run(pairs, enhancer, OutputOptions(out))
    assert summary.done == 4 and summary.failed == 1 and summary.skipped == 0
    assert sorted(digest(out)) == [
        "B_enhanced.JPG",
        "a_enhanced.jpg",
        "sub/c_enhanced.png",
        "sub/deeper/d_enhanced.tif",
    ]
    broken = next(i for i in items if i.status is ItemStatus.FAILED)
    assert broken.path.name == "broken.jpg" and "corrupt or truncated" in broken.reason
    assert digest(photos) == before
    with Image.open(out / "a_enhanced.jpg") as img:
        assert np.asarray(img).mean() > dark_rgb().mean() + 20


def test_existing_outputs_are_skipped_unless_overwrite(photos, tmp_path, enhancer):
    opts = OutputOptions(tmp_path / "out", format="png")
    found, _ = discover([photos / "a.jpg"])
    pairs, _ = plan(found, opts)
    assert pairs[0][1] == tmp_path / "out" / "a_enhanced.png"
    run(pairs, enhancer, opts)
    stamp = pairs[0][1].stat().st_mtime_ns
    items, summary = run(pairs, enhancer, opts)
    assert summary.skipped == 1 and "exists" in items[0].reason
    assert pairs[0][1].stat().st_mtime_ns == stamp
    overwrite = OutputOptions(tmp_path / "out", format="png", overwrite=True)
    _, summary = run(pairs, enhancer, overwrite)
    assert summary.done == 1


def test_per_image_strength(photos, tmp_path, enhancer):
    opts = OutputOptions(tmp_path / "out", format="png")
    found, _ = discover([photos / "a.jpg", photos / "sub" / "c.png"])
    pairs, _ = plan(found, opts)
    run(
        pairs,
        enhancer,
        opts,
        adjustments=lambda p: (
            FIXED_FULL if p.name != "c.png" else replace(FIXED_FULL, strength=0.0)
        ),
    )
    same = np.asarray(Image.open(tmp_path / "out" / "c_enhanced.png"))
    assert np.array_equal(same, dark_rgb(seed=2))


def test_empty_suffix_needs_another_folder(photos, tmp_path):
    found, _ = discover([photos / "a.jpg"])
    with pytest.raises(PlanError, match="empty suffix"):
        plan(found, OutputOptions(photos, suffix=""))
    pairs, _ = plan(found, OutputOptions(tmp_path / "elsewhere", suffix=""))
    assert pairs[0][1].name == "a.jpg"


def test_output_never_replaces_an_input(photos, enhancer):
    save_photo(photos / "a_enhanced.jpg")
    before = digest(photos)
    opts = OutputOptions(photos, overwrite=True)
    found, _ = discover([photos / "a.jpg", photos / "a_enhanced.jpg"])
    pairs, _ = plan(found, opts)
    items, summary = run(pairs, enhancer, opts)
    assert summary.failed == 1 and "would overwrite an input" in items[0].reason
    after = digest(photos)
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {"a_enhanced_enhanced.jpg"}


def test_earlier_results_inside_an_input_folder_are_not_requeued(photos):
    out = photos / "enhanced"
    save_photo(out / "a_enhanced.jpg")
    found, _ = discover([photos], recursive=True)
    pairs, ignored = plan(found, OutputOptions(out))
    assert all("enhanced" not in str(f.path.parent) for f, _ in pairs)
    assert [i.reason for i in ignored] == ["inside the output folder"]


def test_unwritable_destination_fails_that_file_only(photos, tmp_path, enhancer):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "sub").write_text("a file where a folder should be")
    found, _ = discover([photos], recursive=True)
    opts = OutputOptions(tmp_path / "out")
    pairs, _ = plan(found, opts)
    items, summary = run(pairs, enhancer, opts)
    failed = {i.path.name: i.reason for i in items if i.status is ItemStatus.FAILED}
    assert set(failed) == {"broken.jpg", "c.png", "d.tif"}
    assert summary.done == 2


SCHEDULES = {"side by side": (1.0, 24.0), "overlapped": (0.0, 1.0), "alone": (0.0, 0.0)}
"""``SMALL_PHOTO`` and ``OVERLAPPED_PHOTO`` that send the test photos (0.003 MP) each way."""


@pytest.mark.parametrize("way", SCHEDULES)
def test_cancel_mid_image_leaves_no_partial_file(photos, tmp_path, enhancer, monkeypatch, way):
    monkeypatch.setattr(enh, "STRIP_ELEMENTS", 3 * 64 * 4)  # 12 strips per photo
    small, overlapped = SCHEDULES[way]
    monkeypatch.setattr(batch_module, "SMALL_PHOTO", small)
    monkeypatch.setattr(batch_module, "OVERLAPPED_PHOTO", overlapped)
    found, _ = discover([photos], recursive=True)
    opts = OutputOptions(tmp_path / "out")
    pairs, _ = plan(found, opts)
    checks = []

    def cancel() -> bool:
        checks.append(1)
        return len(checks) > 20  # during the second photo

    items, summary = run(pairs, enhancer, opts, cancel=cancel)
    done = sorted(i.output.name for i in items if i.status is ItemStatus.DONE)
    assert summary.cancelled and summary.done == len(done) < 4
    written = sorted(p.name for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert written == done  # those written before the cancel, complete; no temporaries


def test_output_path_for_formats(tmp_path):
    f = FoundFile(tmp_path / "in" / "x" / "p.bmp", tmp_path / "in")
    assert output_path(f, OutputOptions(tmp_path / "o")) == tmp_path / "o" / "x" / "p_enhanced.png"
    flat = OutputOptions(tmp_path / "o", format="webp", mirror=False, suffix="-lit")
    assert output_path(f, flat) == tmp_path / "o" / "p-lit.webp"
    with pytest.raises(PlanError):
        OutputOptions(tmp_path, format="gif")
    with pytest.raises(PlanError):
        OutputOptions(tmp_path, suffix="../x")


def test_sibling_output_folder(tmp_path):
    from zdce_core.outputs import sibling_output_folder

    queued = FoundFile(tmp_path / "night" / "sub" / "a.jpg", tmp_path / "night")
    assert sibling_output_folder(queued) == tmp_path / "night-enhanced"
    single = FoundFile(tmp_path / "trip" / "b.jpg", None)
    assert sibling_output_folder(single) == tmp_path / "trip-enhanced"


def test_a_model_that_crushes_photos_to_black_fails_them(photos, tmp_path):
    found, _ = discover([photos], recursive=True)
    opts = OutputOptions(folder=tmp_path / "out")
    pairs, _ = plan(found, opts)
    items, summary = run(pairs, Enhancer(LoadedModel(darkening_net()), "cpu"), opts)
    crushed = [i for i in items if i.status is ItemStatus.FAILED and i.path.name != "broken.jpg"]
    assert len(crushed) == 4 and summary.done == 0
    assert all("turned" in i.reason and "black" in i.reason for i in crushed)
    assert all(i.failure is FailKind.BROKEN_RESULT for i in crushed)
    assert not list((tmp_path / "out").rglob("*.*"))  # nothing written


def test_check_result_judges_only_newly_black_or_white_pixels():
    gray = np.full((40, 40, 3), 128, np.uint8)
    with pytest.raises(BrokenResult, match="50% of the photo white"):
        check_result(gray, np.concatenate([gray[:20], np.full((20, 40, 3), 255, np.uint8)]))
    white = np.full((40, 40, 3), 255, np.uint8)
    check_result(white, white)  # already white: not the model's doing
    check_result(gray, gray // 4)  # darker, not crushed


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs and symlinks")
def test_fifos_and_symlink_loops_are_skipped_with_a_reason(photos, tmp_path):
    os.mkfifo(photos / "sub" / "pipe.jpg")  # reading it would block forever
    (photos / "loop.jpg").symlink_to(photos / "loop.jpg")
    (photos / "gone.png").symlink_to(photos / "nowhere.png")
    found, ignored = discover([photos], recursive=True)
    reasons = {i.path.name: i.reason for i in ignored}
    assert "FIFO" in reasons["pipe.jpg"]
    assert "loops back" in reasons["loop.jpg"]
    assert "broken symlink" in reasons["gone.png"]
    opts = OutputOptions(folder=tmp_path / "out")
    pairs, _ = plan(found, opts)  # no symlink-loop error while planning
    assert {f.path.name for f, _ in pairs} == {"a.jpg", "B.JPG", "c.png", "d.tif", "broken.jpg"}
    _, direct = discover([photos / "sub" / "pipe.jpg", photos / "loop.jpg"])
    assert ["FIFO" in direct[0].reason, "loops back" in direct[1].reason] == [True, True]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_symlink_named_directly_keeps_its_own_name(photos, tmp_path):
    link = tmp_path / "holiday.jpg"
    link.symlink_to(photos / "a.jpg")
    found, _ = discover([link])
    opts = OutputOptions(folder=tmp_path / "out")
    pairs, _ = plan(found, opts)
    assert pairs[0][1].name == "holiday_enhanced.jpg"


def test_an_output_that_appears_meanwhile_is_kept(photos, tmp_path, enhancer, monkeypatch):
    opts = OutputOptions(folder=tmp_path / "out")
    found, _ = discover([photos / "a.jpg"])
    pairs, _ = plan(found, opts)
    target = pairs[0][1]
    real_enhance = batch_module.enhance_photo

    def enhance_while_someone_writes(*args, **kwargs):
        result = real_enhance(*args, **kwargs)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"the user's own file")
        return result

    monkeypatch.setattr(batch_module, "enhance_photo", enhance_while_someone_writes)
    items, summary = run(pairs, enhancer, opts)
    assert summary.skipped == 1 and "appeared meanwhile" in items[0].reason
    assert target.read_bytes() == b"the user's own file"
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left


def test_stale_temporaries_of_a_killed_run_are_removed(photos, tmp_path, enhancer):
    out = tmp_path / "out"
    out.mkdir()
    stale = out / temporary_name("a_enhanced.jpg", pid=2**22 + 1)  # its writer is gone
    fresh = out / temporary_name("b_enhanced.jpg")  # a write in progress (this process)
    others = [
        out / ".notes.part",
        out / ".thesis.20240101.part",
        out / ".a_enhanced.jpg.k3x9_q2z.part",
    ]
    for path in (stale, fresh, *others):
        path.write_bytes(b"half a jpeg")
    old = time.time() - 2 * 3600
    for path in others:  # not ours, however old
        os.utime(path, (old, old))
    opts = OutputOptions(folder=out)
    found, _ = discover([photos / "a.jpg"])
    pairs, _ = plan(found, opts)
    run(pairs, enhancer, opts)
    assert not stale.exists() and fresh.exists() and all(p.exists() for p in others)


def test_an_output_folder_that_is_a_file_is_refused_before_any_photo(photos, tmp_path):
    not_a_folder = tmp_path / "out.txt"
    not_a_folder.write_text("x")
    found, _ = discover([photos / "a.jpg"])
    with pytest.raises(PlanError, match=r"out\.txt is a file"):
        plan(found, OutputOptions(folder=not_a_folder))
    with pytest.raises(PlanError, match=r"cannot create the output folder .*out\.txt is a file"):
        plan(found, OutputOptions(folder=not_a_folder / "sub"))


CORRUPT_EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x0f\x00\x02\x00\x00\x00\x20\x00"


def test_corrupt_exif_is_a_note_naming_the_file_not_a_raw_warning(tmp_path, enhancer, recwarn):
    photo = save_photo(tmp_path / "in" / "odd.jpg", exif=CORRUPT_EXIF)
    opts = OutputOptions(folder=tmp_path / "out")
    found, _ = discover([photo])
    pairs, _ = plan(found, opts)
    items, _ = run(pairs, enhancer, opts)
    assert items[0].status is ItemStatus.DONE and items[0].path == photo
    assert items[0].reason == "corrupt EXIF data (what could be read is kept)"
    assert not [w for w in recwarn if "EXIF" in str(w.message)]


def test_a_job_groups_by_output_options_and_reports_progress(photos, tmp_path, enhancer):
    found, _ = discover([photos], recursive=True)
    here, there = OutputOptions(tmp_path / "here"), OutputOptions(tmp_path / "there")
    job = plan_job(found, lambda f: here if f.path.suffix == ".png" else there)
    assert set(job.groups) == {here, there} and job.total == len(found)
    seen: list[tuple[str, int]] = []

    def on_event(event, progress: Progress) -> None:
        if isinstance(event, ItemFinished):
            seen.append((event.status.value, progress.ended))
            assert progress.eta is not None and "ETA" in progress.text()

    summary = run_job(job, enhancer, FIXED_FULL, on_event)
    assert [ended for _, ended in seen] == list(range(1, len(found) + 1))
    assert summary.done + summary.failed == len(found) and summary.failed == 1  # broken.jpg
    assert {p.suffix for p in (tmp_path / "here").rglob("*.*")} == {".png"}


def test_a_cancelled_job_stops_between_groups(photos, tmp_path, enhancer):
    found, _ = discover([photos], recursive=True)
    job = plan_job(found, lambda f: OutputOptions(tmp_path / f.path.suffix.lower().strip(".")))
    stop = CancelToken()
    summary = run_job(job, enhancer, FIXED_FULL, lambda _e, _p: stop.cancel(), stop)
    assert summary.cancelled and summary.done + summary.failed + summary.skipped <= 1


def test_temporaries_of_given_outputs_are_removed_whatever_their_age(tmp_path):
    from zdce_core.atomic import remove_temporaries_of

    ours_a, ours_b = temporary_name("a.png", pid=1), temporary_name("b.png", pid=1)
    for name in (ours_a, ours_b, ".a.png.abcd1234.part", ".a.png.notes", "a.png"):
        (tmp_path / name).write_text("x")
    removed = remove_temporaries_of([tmp_path / "a.png", tmp_path / "gone" / "c.png"])
    assert [p.name for p in removed] == [ours_a]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".a.png.abcd1234.part", ".a.png.notes", ours_b, "a.png"])


def test_the_ways_of_scheduling_photos_give_the_same_events_and_outputs(
    photos, tmp_path, enhancer, monkeypatch
):
    """Small photos run several at once (one per worker), mid-sized ones are encoded while
    the next one renders, large ones run alone: the events and the outputs are those of one
    photo after the other whichever way the photos go."""
    found, _ = discover([photos], recursive=True)
    results = {}
    for way, (small, overlapped) in SCHEDULES.items():
        monkeypatch.setattr(batch_module, "SMALL_PHOTO", small)
        monkeypatch.setattr(batch_module, "OVERLAPPED_PHOTO", overlapped)
        opts = OutputOptions(tmp_path / way)
        pairs, _ = plan(found, opts)
        events = list(iter_batch(pairs, enhancer, opts))
        ended = [e for e in events if isinstance(e, ItemFinished)]
        assert [e.index for e in ended] == list(range(len(pairs))), way
        assert isinstance(events[-1], BatchFinished)
        results[way] = (digest(opts.folder), [(e.path, e.status) for e in ended])
    assert results["side by side"] == results["overlapped"] == results["alone"]
    assert len(results["alone"][0]) == 4  # four photos written, the broken one failed


def test_a_batch_left_early_writes_nothing_more(photos, tmp_path, enhancer):
    found, _ = discover([photos], recursive=True)
    opts = OutputOptions(tmp_path / "out")
    pairs, _ = plan(found, opts)
    events = iter_batch(pairs, enhancer, opts)
    first = next(e for e in events if isinstance(e, ItemFinished))
    assert first.index == 0
    events.close()  # the photos in flight stop at a strip or finish before this returns
    left = digest(tmp_path / "out")
    time.sleep(0.2)
    assert digest(tmp_path / "out") == left
    assert not any(name.endswith(".part") for name in left)
