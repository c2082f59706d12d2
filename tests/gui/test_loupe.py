"""The loupe: from 100 % the view shows the photo's own pixels, rendered in a worker."""

import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from tests.conftest import dark_rgb, darkening_net, save_photo
from tests.gui.conftest import add, import_model
from tests.gui.test_compare_view import wheel
from zdce_core.weights import save_model
from zdce_gui import loupe_controller

HEIGHT, WIDTH = 1500, 2400  # larger than a preview (1600): the preview is reduced


def checkerboard(path: Path) -> Path:
    """A dark photo that is a one-pixel grey checkerboard (40 and 70) with a gentle ramp:
    reduced to a preview it is a flat grey, at full size every pixel differs from the next."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    grey = 40 + 30 * ((yy + xx) % 2) + 20 * xx / WIDTH
    return save_photo(path, np.repeat(grey[:, :, None], 3, axis=2).astype(np.uint8))


def alternations(shot: QImage, x0: int, x1: int, y: int, step: int) -> float:
    """The share of neighbouring ``step``-pixel cells along row ``y`` that differ by more
    than 8 levels of lightness (a one-pixel checkerboard at ``step`` × zoom: all)."""
    light = [shot.pixelColor(x, y).lightness() for x in range(x0, x1, step)]
    return float(np.mean([abs(a - b) > 8 for a, b in itertools.pairwise(light)]))


def test_100_percent_shows_the_photos_own_pixels(window, tmp_path, qtbot, monkeypatch):
    threads = []
    render = loupe_controller.render_region

    def recording(*args):
        threads.append(threading.current_thread())
        return render(*args)

    monkeypatch.setattr(loupe_controller, "render_region", recording)
    window.resize(1000, 700)
    window.show()
    add(window, qtbot, [checkerboard(tmp_path / "fine.png")])
    view, label = window.ui.view, window.ui.zoom_label
    qtbot.waitUntil(lambda: window.preview.current is not None and view.after is not None)
    assert view.fit and int(label.text().rstrip("%")) < 50  # the photo, not the preview

    window.ui.actual_button.click()  # 100 %
    assert label.text() == "100%" and view.loupe is None  # shown at once, rendered later
    qtbot.waitUntil(lambda: view.loupe is not None, timeout=10_000)
    assert threads and all(t is not threading.main_thread() for t in threads)
    shot = view.grab().toImage()
    shot.save(str(tmp_path / "loupe-100.png"))
    y, split = view.height() // 2, round(view.split * view.width())
    assert alternations(shot, split + 10, view.width() - 10, y, 1) > 0.95  # After
    assert alternations(shot, 10, split - 10, y, 1) > 0.95  # Before

    tile = view.loupe
    wheel(view, QPointF(view.width() * 0.75, y))  # 125 %: a new tile, the label follows
    assert label.text() == "125%"
    qtbot.waitUntil(lambda: view.loupe is not tile, timeout=10_000)
    wheel(view, QPointF(view.width() * 0.75, y), clicks=-1)
    assert label.text() == "100%"
    view.set_zoom(2.0)
    tile = view.loupe
    qtbot.waitUntil(lambda: view.loupe is not tile, timeout=10_000)
    shot = view.grab().toImage()
    shot.save(str(tmp_path / "loupe-200.png"))
    assert label.text() == "200%"
    assert alternations(shot, split + 10, view.width() - 10, y, 2) > 0.95

    wheel(view, QPointF(view.width() * 0.75, y), clicks=-5)  # zooming out stops at 100 %
    assert label.text() == "100%"
    wheel(view, QPointF(view.width() * 0.75, y), clicks=-1)
    assert label.text() == "80%"
    qtbot.mouseClick(window.ui.fit_button, Qt.MouseButton.LeftButton)
    assert view.fit


def test_the_full_size_photo_is_decoded_on_zoom_and_kept_for_the_shown_photo_only(
    window, tmp_path, qtbot
):
    window.show()
    paths = [save_photo(tmp_path / f"{n}.png", dark_rgb(1300, 2000, seed=n)) for n in (1, 2)]
    add(window, qtbot, paths)  # the first row is selected
    loupe, view = window.preview.loupe, window.ui.view
    qtbot.waitUntil(lambda: view.after is not None, timeout=10_000)
    assert loupe.photo is None and loupe.loading is None  # selecting decodes no full size
    wheel(view, QPointF(view.width() / 2, view.height() / 2))  # past fit: decode now
    qtbot.waitUntil(lambda: loupe.photo is not None, timeout=10_000)
    assert loupe.photo is not None and loupe.photo.path == paths[0]
    assert view.loupe is None  # under 100 %: no tile
    window.ui.table.selectRow(1)
    qtbot.waitUntil(lambda: window.preview.current.path == paths[1], timeout=10_000)
    assert loupe.photo is None  # another photo shown: the first one's pixels are let go
    qtbot.waitUntil(lambda: view.after is not None, timeout=10_000)
    assert view.fit and loupe.photo is None and loupe.loading is None


def test_a_refused_result_is_not_shown_at_100_percent_either(window, tmp_path, qtbot):
    import_model(window, qtbot, save_model(darkening_net(), tmp_path / "crusher.safetensors"))
    window.show()
    add(window, qtbot, [checkerboard(tmp_path / "fine.png")])
    view = window.ui.view
    qtbot.waitUntil(lambda: "black" in view.message, timeout=10_000)
    window.ui.actual_button.click()
    qtbot.waitUntil(lambda: view.loupe is not None, timeout=10_000)
    shot = view.grab().toImage()
    x, y = round(view.split * view.width()) + 20, view.height() // 2
    assert shot.pixelColor(x, y).lightness() > 20  # the original, not the black result


def test_a_photo_gone_before_zooming_in_says_so_once(window, tmp_path, qtbot):
    window.show()
    path = save_photo(tmp_path / "gone.png", dark_rgb(1300, 2000))
    add(window, qtbot, [path])
    view, loupe = window.ui.view, window.preview.loupe
    qtbot.waitUntil(lambda: view.after is not None, timeout=10_000)
    path.unlink()
    window.ui.actual_button.click()
    qtbot.waitUntil(lambda: "at full size" in view.message, timeout=10_000)
    assert view.message.startswith("gone.png at full size: ")
    wheel(view, QPointF(view.width() / 2, view.height() / 2))
    assert loupe.loading is None and loupe.photo is None  # not tried again
    assert view.before is not None  # the preview stays


HIGH_DENSITY_SCREEN = """
import numpy as np
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import QApplication
from zdce_gui.compare_view import CompareView, LoupeTile, to_qimage

app = QApplication([])
view = CompareView()
view.resize(400, 300)
view.show()
preview = np.full((150, 240, 3), 55, np.uint8)
view.set_images(to_qimage(preview), to_qimage(preview), photo_size=QSize(2400, 1500))
fit = view.current_scale()
view.set_zoom(1.0)
rect = view.visible_region()
yy, xx = np.mgrid[0 : rect.height(), 0 : rect.width()]
board = np.repeat((40 + 30 * ((yy + xx) % 2)).astype(np.uint8)[:, :, None], 3, axis=2)
view.set_loupe(LoupeTile(rect, to_qimage(board), to_qimage(board)))
shot = view.grab().toImage()
after = range(shot.width() // 2 + 10, shot.width() - 20)  # right of the split line
light = [shot.pixelColor(x, shot.height() // 2).lightness() for x in after]
steps = np.mean([abs(a - b) > 8 for a, b in zip(light, light[1:])])
print(view.devicePixelRatioF(), round(fit, 3), rect.width(), rect.height(), steps)
"""


def test_100_percent_is_one_photo_pixel_per_screen_pixel_on_a_high_density_screen():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR="2")
    result = subprocess.run(
        [sys.executable, "-c", HIGH_DENSITY_SCREEN],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],  # the repository: its zdce_gui
    )
    assert result.returncode == 0, result.stderr
    dpr, fit, width, height, steps = result.stdout.split()
    assert float(dpr) == 2.0
    assert float(fit) == 0.333  # 400 widget px are 800 screen px for 2400 photo px
    assert (int(width), int(height)) == (800, 600)  # the pane's 800 × 600 screen pixels
    assert float(steps) == 1.0  # every screen pixel a photo pixel of the checkerboard
