import numpy as np
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

from tests.conftest import dark_rgb
from zdce_gui.compare_view import CompareView, ViewMode, to_qimage


def make_view(qtbot) -> CompareView:
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    before = dark_rgb(120, 160)
    view.set_images(
        to_qimage(before), to_qimage(np.clip(before.astype(int) * 3, 0, 255).astype(np.uint8))
    )
    return view


def test_split_line_follows_the_mouse(qtbot):
    view = make_view(qtbot)
    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(200, 150))
    QTest.mouseMove(view, QPoint(300, 150))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(300, 150))
    assert abs(view.split - 0.75) < 0.01
    shot = view.grab().toImage()
    left, right = shot.pixelColor(150, 150), shot.pixelColor(350, 150)
    assert right.lightness() > left.lightness()  # after (brighter) on the right of the line


def test_zoom_around_the_cursor_and_pan(qtbot):
    view = make_view(qtbot)
    fit = view.current_scale()
    anchor = QPointF(100, 100)
    under_cursor = view._to_image(anchor)
    view.set_zoom(fit * 2, anchor)
    assert view.current_scale() == fit * 2
    moved = view._to_image(anchor)
    assert abs(moved.x() - under_cursor.x()) < 1e-6 and abs(moved.y() - under_cursor.y()) < 1e-6
    grabbed = view._to_image(QPointF(100, 250))
    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 250))  # away from the line
    QTest.mouseMove(view, QPoint(140, 250))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(140, 250))
    dropped = view._to_image(QPointF(140, 250))  # the grabbed image point moved with the mouse
    assert abs(dropped.x() - grabbed.x()) < 1e-6 and abs(dropped.y() - grabbed.y()) < 1e-6
    assert abs(view.split - 0.5) < 1e-9  # panning did not move the line
    view.set_fit()
    assert view.current_scale() == fit


def test_side_by_side_halves_share_zoom(qtbot):
    view = make_view(qtbot)
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    view.set_zoom(1.0)
    left = view._image_rect(0)
    right = view._image_rect(view.width() / 2)
    assert left.width() == right.width() and right.x() - left.x() == view.width() / 2


def test_hold_space_shows_the_original(qtbot):
    view = make_view(qtbot)
    QTest.keyPress(view, Qt.Key.Key_Space)
    assert view.showing_original
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert not view.showing_original


def test_holding_space_side_by_side_shows_the_original_in_both_panes(qtbot):
    view = make_view(qtbot)
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    QTest.keyPress(view, Qt.Key.Key_Space)
    shot = view.grab().toImage()
    left, right = shot.pixelColor(100, 150), shot.pixelColor(300, 150)
    assert abs(left.lightness() - right.lightness()) <= 2  # both the original, none blank
    QTest.keyRelease(view, Qt.Key.Key_Space)
    shot = view.grab().toImage()
    assert shot.pixelColor(300, 150).lightness() > shot.pixelColor(100, 150).lightness() + 10


def test_switching_modes_sends_the_new_fitted_zoom(qtbot):
    view = make_view(qtbot)
    view.set_images(to_qimage(dark_rgb(120, 400)), None)  # fits whole, not in half the width
    sent: list[float] = []
    view.zoom_changed.connect(sent.append)
    split_scale = view.current_scale()
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    assert sent and sent[-1] == view.current_scale() < split_scale


def test_the_highlights_warning_counts_near_white_not_only_clipped(qtbot, tmp_path):
    from zdce_core.histogram import luminance_histogram
    from zdce_gui.histogram_view import HistogramView

    view = HistogramView()
    qtbot.addWidget(view)
    view.resize(320, 64)
    facade = np.full((40, 40, 3), 150, np.uint8)
    view.set_histograms(luminance_histogram(facade), luminance_histogram(facade + 95))
    assert view.after is not None and view.after.clipped == 0.0  # 245: not clipped
    assert view.clipping and view.clip_text() == "near-white 100.0 % (was 0.0 %)"
    view.grab().save(str(tmp_path / "histogram.png"))
    view.set_histograms(luminance_histogram(facade), luminance_histogram(facade + 40))
    assert not view.clipping
