"""The raised shoulder: a night street left under its aim at full strength gets its light
tones raised (:func:`zdce_core.exposure.choose_exposure`), a night lit by warm haze does not
(:func:`zdce_core.exposure.lit_haze`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from tests.conftest import save_photo
from tests.test_scene_render import luma
from zdce_core import pipeline
from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.exposure import lit_haze
from zdce_core.model_store import open_model
from zdce_core.pipeline import enhance_photo
from zdce_core.preview import UpsampledMaps, make_preview, render_preview
from zdce_core.render_plan import RenderPlan, plan_render, planned_maps

WINDOW = (slice(66, 114), slice(96, 144))
SKY = (slice(0, 50), slice(0, 160))
COAT = (slice(96, 154), slice(26, 54))


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    return Enhancer(open_model(None), "cpu")


def street(sky: tuple[float, float, float] = (2.0, 2.0, 2.0), seed: int = 0) -> np.ndarray:
    """160×160 in 8-bit levels: a night ``sky``, a dark coat (about 0.045) and a warm lit
    shop window (about 0.22), each with sensor noise."""
    rng = np.random.default_rng(seed)
    img = np.broadcast_to(np.array(sky), (160, 160, 3)) + rng.normal(0, 1.0, (160, 160, 3))
    img[90:160, 20:60] = np.array([14.0, 11.0, 9.0]) + rng.normal(0, 1.0, (70, 40, 3))
    img[60:120, 90:150] = np.array([70.0, 52.0, 30.0]) + rng.normal(0, 1.5, (60, 60, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def planned(
    enhancer: Enhancer, photo: np.ndarray, adjustments: Adjustments = DEFAULT_ADJUSTMENTS
) -> RenderPlan:
    reduced = pipeline.reduced_for(photo, adjustments)
    return plan_render(enhancer.estimate_downscaled(photo), adjustments, reduced)


def test_a_street_under_a_black_sky_gets_its_light_tones_raised(enhancer):
    photo = street()
    plan = planned(enhancer, photo)
    assert plan.strength == 8.0 and plan.raised > 0.5
    out = enhancer.render(photo, plan)
    flat = enhancer.render(photo, replace(plan, raised=0.0))
    assert luma(out[WINDOW]).mean() >= luma(flat[WINDOW]).mean() + 0.03  # the window brighter
    assert np.abs(out[SKY].astype(int) - flat[SKY]).max() <= 1  # the black sky as it was
    assert (out >= 254).mean() == 0.0
    assert luma(out[SKY]).mean() < luma(out[COAT]).mean() < luma(out[WINDOW]).mean()


def test_the_preview_shows_the_raised_street_as_the_batch_writes_it(tmp_path, enhancer):
    photo = street(seed=1)
    assert planned(enhancer, photo).raised > 0.5
    preview = make_preview(enhancer, save_photo(tmp_path / "street.png", photo))
    adjustments = Adjustments()
    upsampled = UpsampledMaps(planned_maps(preview.maps, adjustments))
    batch = enhance_photo(enhancer, photo, adjustments)
    shown = render_preview(enhancer, preview, adjustments, upsampled)
    assert shown.strength == batch.strength
    assert np.abs(shown.pixels.astype(int) - batch.pixels).max() <= 1


def test_a_night_lit_by_warm_haze_is_not_raised(enhancer):
    plan = planned(enhancer, street(sky=(22.0, 15.0, 8.0)))  # sodium light in haze, no black
    assert plan.strength == 8.0
    assert plan.raised == 0.0


def test_a_manual_strength_is_not_raised(enhancer):
    assert planned(enhancer, street(), Adjustments(strength=8.0)).raised == 0.0


def test_lit_haze_needs_warm_light_and_no_black():
    def copy(colour: tuple[float, float, float], black_share: float) -> torch.Tensor:
        small = torch.tensor(colour).view(1, 3, 1, 1).expand(1, 3, 20, 20).clone()
        small[:, :, : round(20 * black_share)] = 0.005
        return small

    assert lit_haze(copy((0.09, 0.06, 0.03), 0.0)) == pytest.approx(1.0)  # sodium haze
    assert lit_haze(copy((0.09, 0.06, 0.03), 0.3)) == 0.0  # a warm street under a black sky
    assert lit_haze(copy((0.06, 0.06, 0.06), 0.0)) == 0.0  # neutral light
    assert lit_haze(torch.zeros(1, 3, 8, 8)) == 0.0  # a black frame
