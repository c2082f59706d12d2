"""The defect measures a photographer's eye reads: near-white growth, black lift, grey cast."""

import numpy as np
import pytest

from zdce_core.histogram import luminance_histogram
from zdce_core.photo_defects import defects_text, measure_defects


def grey(level: float, shape: tuple[int, int] = (40, 40)) -> np.ndarray:
    return np.full((*shape, 3), round(level * 255), np.uint8)


def test_a_facade_pushed_to_245_counts_as_blown_though_not_clipped():
    before = grey(0.6)
    after = grey(245 / 255)
    assert measure_defects(before, after).white_growth == 1.0
    assert luminance_histogram(after).clipped == 0.0  # the old measure saw nothing
    assert luminance_histogram(after).near_white == 1.0
    assert measure_defects(before, grey(0.8)).white_growth == 0.0
    assert measure_defects(grey(0.85), grey(0.97)).white_growth == 0.0  # was already white


def test_black_lift_is_measured_where_a_night_sky_covers_the_frame():
    before = grey(0.1)
    before[:20] = 3  # half the frame near black
    after = before.copy()
    after[:20] = 51  # the sky lifted to 0.2
    assert measure_defects(before, after).black_lift == pytest.approx(0.2, abs=0.005)
    assert measure_defects(grey(0.1), grey(0.3)).black_lift is None  # no sky


def test_grey_cast_counts_a_lavender_wall():
    wall = grey(0.3)
    lavender = grey(0.5).astype(int) + np.array([6, -6, 10])
    d = measure_defects(wall, lavender.astype(np.uint8))
    assert d.grey_cast == pytest.approx(12 + 10, abs=0.5)  # |R−G| 12, |(R+G)/2 − B| 10
    assert measure_defects(wall, grey(0.5)).grey_cast == 0.0
    assert "grey cast 22.0" in defects_text(d) and "near-white +0.00%" in defects_text(d)
