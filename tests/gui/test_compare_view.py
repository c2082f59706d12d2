import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
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


def position_coded(height: int, width: int) -> np.ndarray:
    """A photo whose colour says where it is: red grows to the right, green downwards."""
    yy, xx = np.mgrid[0:height, 0:width]
    return np.stack(
        [255 * xx / (width - 1), 255 * yy / (height - 1), np.full(xx.shape, 128.0)], axis=2
    ).astype(np.uint8)


def wheel(widget, pos: QPointF, clicks: int = 1) -> None:
    """A real mouse-wheel event at ``pos`` (widget coordinates), as the mouse sends it."""
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    event = QWheelEvent(
        pos,
        widget.mapToGlobal(pos),
        QPoint(0, 0),
        QPoint(0, 120 * clicks),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def screen_x(view: CompareView, image_point: QPointF, pane_left: float) -> QPointF:
    """Where ``image_point`` (image pixels) is drawn in the pane starting at ``pane_left``."""
    rect, s = view._image_rect(pane_left), view.current_scale()
    return QPointF(rect.x() + image_point.x() * s, rect.y() + image_point.y() * s)


def test_side_by_side_wheel_over_either_pane_keeps_the_point_under_the_mouse(qtbot, tmp_path):
    view = CompareView()
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    photo = to_qimage(position_coded(600, 800))
    view.set_images(photo, photo)
    view.set_mode(ViewMode.SIDE_BY_SIDE)
    half = view.width() / 2
    for cursor in (QPointF(half + 300, 90), QPointF(70, 220)):  # over After, then Before
        pane = half if cursor.x() >= half else 0.0
        other = half - pane  # the other pane's left edge
        under = view._to_image(cursor)
        before_shot = view.grab().toImage()
        wheel(view, cursor, clicks=2)
        assert not view.fit and view.current_scale() > 0.5
        here, there = screen_x(view, under, pane), screen_x(view, under, other)
        assert abs(here.x() - cursor.x()) < 1.5 and abs(here.y() - cursor.y()) < 1.5
        assert abs(there.x() - (cursor.x() - pane + other)) < 1.5
        assert abs(there.y() - cursor.y()) < 1.5
        shot = view.grab().toImage()
        shot.save(str(tmp_path / f"wheel-{int(cursor.x())}.png"))
        y = int(cursor.y())
        for x in (int(cursor.x()), int(cursor.x() - pane + other)):  # same colour under it
            was, now = before_shot.pixelColor(x, y), shot.pixelColor(x, y)
            assert abs(was.red() - now.red()) <= 3 and abs(was.green() - now.green()) <= 3
        for left in (0.0, half):  # the photo still covers both panes: no empty strip
            assert view._image_rect(left).contains(QRectF(left, 0, half, view.height()))
