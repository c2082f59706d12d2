"""The grain of a photo's shadows, and auto exposure lifting a grainy photo less."""

import numpy as np
import pytest
from PIL import Image

from tests.synthetic import dark_scene
from zdce_core.adjustments import Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.exposure import GRAINY_DIM, GRAINY_FROM, GRAINY_TO, grainy_aim
from zdce_core.grain import MEASURE_LONG_SIDE, measure_reduction, shadow_grain
from zdce_core.model_store import open_model
from zdce_core.pipeline import enhance_photo
from zdce_core.preview import PREVIEW_LONG_SIDE


def test_grain_is_measured_in_the_shadows_relative_to_their_level():
    clean, grainy = shadow_grain(dark_scene(0.03)), shadow_grain(dark_scene(0.3))
    assert grainy > 0.15 > 0.08 > clean
    bright = np.clip(dark_scene(0.3).astype(np.int32) + 150, 0, 255).astype(np.uint8)
    assert shadow_grain(bright) == 0.0  # no shadows to lift
    assert shadow_grain(dark_scene(0.3).astype(np.uint16) * 257) == pytest.approx(grainy, 0.05)
    for shape in [(1, 4000, 3), (4000, 1, 3), (3, 5, 3)]:  # too small to tell: no grain
        assert shadow_grain(np.full(shape, 10, np.uint8)) == 0.0


def test_the_grain_is_measured_at_the_scale_a_preview_decodes_at():
    assert MEASURE_LONG_SIDE == PREVIEW_LONG_SIDE
    assert [measure_reduction(n) for n in (1000, 3199, 3200, 4000, 6400, 40000)] == [
        1,
        1,
        2,
        2,
        4,
        8,
    ]
    photo = dark_scene(0.3, size=(2400, 3600))
    half = np.asarray(Image.fromarray(photo).reduce(2))  # as a preview decodes the JPEG
    full = shadow_grain(photo)
    assert shadow_grain(half, full_size=photo.shape[:2]) == pytest.approx(full, rel=0.05)


def test_the_aim_is_lowered_with_the_grain():
    aims = [grainy_aim(0.5, g) for g in (0.0, GRAINY_FROM, 0.15, GRAINY_TO, 0.5)]
    assert aims[0] == aims[1] == 0.5
    assert aims[1] > aims[2] > aims[3] == aims[4] == pytest.approx(0.5 * (1 - GRAINY_DIM))


def test_a_grainy_night_photo_is_lifted_less():
    enhancer = Enhancer(open_model(None), "cpu")
    clean = enhance_photo(enhancer, dark_scene(0.03, ground=0.1), Adjustments())
    grainy = enhance_photo(enhancer, dark_scene(0.3, ground=0.1), Adjustments())
    assert clean.auto and grainy.auto
    assert grainy.strength < clean.strength - 0.5
