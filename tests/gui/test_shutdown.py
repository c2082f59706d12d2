"""After the window shut its workers down (on quit), nothing starts again: a render that
finishes meanwhile must not start the render asked for while it ran (at interpreter exit
that one failed with "cannot schedule new futures after shutdown")."""

import threading
from pathlib import Path

from tests.conftest import dark_rgb, save_photo
from tests.gui.conftest import add
from zdce_gui import preview_controller
from zdce_gui.workers import WorkerPool


def test_a_shut_down_pool_runs_nothing(qtbot) -> None:
    pool = WorkerPool()
    pool.shutdown()
    ran: list[int] = []
    worker = pool.start(lambda _report, _cancelled: ran.append(1))
    assert pool.pool.waitForDone(5_000)
    assert worker.cancelled and not ran and not pool.workers


def test_a_render_finishing_after_shutdown_starts_no_other(
    window, tmp_path: Path, qtbot, monkeypatch
):
    window.show()
    add(window, qtbot, [save_photo(tmp_path / "city.png", dark_rgb(300, 400))])
    preview = window.preview
    qtbot.waitUntil(lambda: bool(preview.rendered) and not preview.renders.running, timeout=10_000)
    release, calls = threading.Event(), []
    render = preview_controller.render_at

    def held(*args, **kwargs):
        calls.append(args)
        release.wait(10)
        return render(*args, **kwargs)

    monkeypatch.setattr(preview_controller, "render_at", held)
    window.ui.strength_spin.setValue(3.0)  # a render starts and is held
    window.ui.strength_spin.setValue(4.0)  # asked for while it runs: pending
    qtbot.waitUntil(lambda: len(calls) == 1, timeout=10_000)
    assert preview.renders.waiting is not None
    release.set()
    window.shutdown()  # waits for the held render; its "finished" is still to be delivered
    qtbot.wait(300)  # delivered now: it would start the pending render
    assert preview.render_pool.pool.waitForDone(10_000)
    assert len(calls) == 1 and not preview.render_pool.workers
