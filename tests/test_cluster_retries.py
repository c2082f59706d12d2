"""A Ray worker killed after writing photos (issue 20, item 15): the retry finds the outputs
this job wrote, which are done (with a note), not "skipped: output exists". Ray is not
started: the driver's reading of the retried rows is tested on its own."""

from pathlib import Path

from zdce_core.batch_events import ItemFinished, ItemStatus, SkipKind
from zdce_core.cluster import LOST_WORKER_NOTE, existing_outputs, written_by_lost_worker
from zdce_core.discovery import FoundFile


def skipped(index: int, out: Path, kind: SkipKind = SkipKind.OUTPUT_EXISTS) -> ItemFinished:
    return ItemFinished(index, 3, out.with_suffix(".src"), ItemStatus.SKIPPED, out, "x", skip=kind)


def test_outputs_written_during_the_job_are_done_with_a_note(tmp_path):
    outs = [tmp_path / f"{i}.png" for i in range(3)]
    outs[0].write_bytes(b"before the job")
    existed = existing_outputs([(FoundFile(o.with_suffix(".src"), None), o) for o in outs])
    assert existed == frozenset({0})
    for out in outs[1:]:
        out.write_bytes(b"written by a worker that was then killed")

    before = written_by_lost_worker(skipped(0, outs[0]), existed)
    assert before.status is ItemStatus.SKIPPED and before.skip is SkipKind.OUTPUT_EXISTS
    for index, kind in ((1, SkipKind.OUTPUT_EXISTS), (2, SkipKind.OUTPUT_APPEARED)):
        item = written_by_lost_worker(skipped(index, outs[index], kind), existed)
        assert item.status is ItemStatus.DONE and item.skip is None
        assert item.reason == LOST_WORKER_NOTE and item.output == outs[index]


def test_other_items_are_left_alone(tmp_path):
    out = tmp_path / "gone.png"  # never written: not done
    item = written_by_lost_worker(skipped(1, out), frozenset())
    assert item.status is ItemStatus.SKIPPED
    failed = ItemFinished(2, 3, tmp_path / "a.src", ItemStatus.FAILED, None, "bad")
    assert written_by_lost_worker(failed, frozenset()) is failed
