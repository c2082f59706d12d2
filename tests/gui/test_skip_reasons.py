"""The app words the core's neutral skip reason in its own terms: "tick Overwrite", never a
command-line flag (issue 20)."""

from tests.conftest import save_photo
from tests.gui.conftest import add
from zdce_gui.queue_model import RowState


def test_a_skipped_row_says_to_tick_overwrite(window, tmp_path, qtbot):
    src, out = tmp_path / "in", tmp_path / "out"
    path = save_photo(src / "a.jpg")
    save_photo(out / "a_enhanced.jpg")
    assert add(window, qtbot, [path]) == 1
    window.ui.folder_edit.setText(str(out))
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    row = window.queue.items[0]
    assert row.status is RowState.SKIPPED
    assert row.reason == "the output exists (tick Overwrite to replace it)"
