"""The app plans through the same core as the CLI: inputs that would share an output file
get distinct outputs, and their rows say so (issue 20, item 3)."""

from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import save_photo
from tests.gui.conftest import add
from zdce_gui.queue_model import RowState

RED, GREEN = 0, 1


def tinted(channel: int) -> np.ndarray:
    """A dark photo whose ``channel`` clearly leads (it still leads once brightened)."""
    rgb = np.full((32, 48, 3), 12, np.uint8)
    rgb[:, :, channel] = 60
    return rgb


def leading_channel(path: Path) -> int:
    with Image.open(path) as img:
        return int(np.asarray(img.convert("RGB"), np.float64).mean(axis=(0, 1)).argmax())


def test_clashing_rows_get_distinct_outputs_and_say_so(window, tmp_path, qtbot):
    src, out = tmp_path / "in", tmp_path / "out"
    paths = [save_photo(src / "a.jpg", tinted(RED)), save_photo(src / "a.png", tinted(GREEN))]
    assert add(window, qtbot, paths) == 2
    window.ui.folder_edit.setText(str(out))
    window.ui.format_combo.setCurrentIndex(window.ui.format_combo.findData("jpeg"))
    window.ui.start_button.click()
    qtbot.waitUntil(lambda: not window.batch.running, timeout=30_000)
    assert sorted(p.name for p in out.iterdir()) == ["a_jpg_enhanced.jpg", "a_png_enhanced.jpg"]
    assert leading_channel(out / "a_jpg_enhanced.jpg") == RED
    assert leading_channel(out / "a_png_enhanced.jpg") == GREEN
    assert window.batch.last_summary.done == 2
    rows = {item.path.name: item for item in window.queue.items}
    assert all(item.status is RowState.DONE for item in rows.values())
    assert rows["a.png"].output == out / "a_png_enhanced.jpg"
    assert "output named a_png_enhanced.jpg" in rows["a.png"].reason
    assert str(src / "a.jpg") in rows["a.png"].reason
