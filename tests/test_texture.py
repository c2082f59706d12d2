"""Texture in the lifted darks (:mod:`zdce_core.texture`): a heavily lifted dark region gets
its input's luma contrast back; flat regions, modest lifts and the noise floor are left."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.test_raised_shoulder import planned
from tests.test_scene_render import luma
from zdce_core.enhancer import Enhancer
from zdce_core.luma_ramps import luma as luma_t
from zdce_core.model_store import open_model
from zdce_core.texture import texture_gain

COLOUR = torch.tensor([1.2, 1.0, 0.8]).view(1, 3, 1, 1)
"""A warm pixel colour (channel ratios), so that the tests see the colour kept."""


def relative_contrast(y: torch.Tensor) -> float:
    lum = luma_t(y)
    return float(lum.std() / lum.mean())


def textured(level: float, lift: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x, y, smooth)``: an input of smoothed luma ``level`` with stripes of ±40 % and its
    result by a curve of log-slope 0.5 around ``level · lift`` (what the curves do)."""
    stripes = torch.tensor([0.6, 1.4]).repeat(8).view(1, 1, 1, 16).expand(1, 1, 16, 16)
    smooth = torch.full((1, 1, 16, 16), level)
    x = COLOUR * (level * stripes) / float(luma_t(COLOUR))
    y = COLOUR * (level * lift * stripes.sqrt()) / float(luma_t(COLOUR))
    return x, y, smooth


def restore(x: torch.Tensor, y: torch.Tensor, smooth: torch.Tensor, lift: float, ratio: float):
    """``y`` times :func:`texture_gain` for a result that keeps all of the curves' lift of
    ``lift`` times the smoothed luma ``smooth`` (``y − x`` is that lift)."""
    lifted = smooth * (lift - 1.0)
    gain = texture_gain(
        luma_t(x),
        luma_t(y - x),
        torch.ones_like(smooth),
        smooth,
        lifted,
        torch.full_like(smooth, ratio),
    )
    return y * gain


def restored(level: float, lift: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    x, y, smooth = textured(level, lift)
    return x, y, restore(x, y, smooth, lift, 0.0)


def test_a_heavily_lifted_dark_texture_gets_its_contrast_back():
    x, before, after = restored(0.05, 6.0)
    assert relative_contrast(before) == pytest.approx(0.5 * relative_contrast(x), rel=0.05)
    assert relative_contrast(after) == pytest.approx(relative_contrast(x), rel=0.02)
    assert float(luma_t(after).mean()) == pytest.approx(float(luma_t(before).mean()), rel=0.05)
    ratios = after / after[:, 1:2]  # the colour stays
    assert torch.allclose(ratios, (before / before[:, 1:2]), atol=1e-5)


def test_a_modest_lift_the_noise_floor_and_flat_regions_are_left():
    for level, lift in ((0.05, 2.0), (0.01, 6.0)):
        _, before, after = restored(level, lift)
        assert torch.equal(before, after)
    smooth = torch.full((1, 1, 8, 8), 0.05)
    x = COLOUR.expand(1, 3, 8, 8) * 0.05 / float(luma_t(COLOUR))
    assert torch.allclose(restore(x, x * 6.0, smooth, 6.0, 0.0), x * 6.0)


def test_where_the_ratio_keeping_gain_takes_over_nothing_changes():
    x, y, smooth = textured(0.05, 6.0)
    assert torch.equal(restore(x, y, smooth, 6.0, 1.0), y)


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    return Enhancer(open_model(None), "cpu")


def test_a_dark_coat_on_a_night_street_keeps_its_folds(enhancer):
    """160×160: a black sky and a dark coat (0.04) with folds of ±30 % every 4 pixels."""
    rng = np.random.default_rng(3)
    img = np.full((160, 160, 3), 2.0) + rng.normal(0, 0.8, (160, 160, 3))
    folds = np.where((np.arange(40) // 4) % 2 == 0, 0.7, 1.3)
    img[80:160, 60:100] = 10.0 * folds[None, :, None] * np.array([1.1, 1.0, 0.9])
    photo = np.clip(img, 0, 255).astype(np.uint8)
    plan = planned(enhancer, photo)
    assert plan.strength == 8.0
    coat = (slice(96, 150), slice(64, 96))
    before, after = luma(photo[coat]), luma(enhancer.render(photo, plan)[coat])
    kept = (after.std() / after.mean()) / (before.std() / before.mean())
    assert kept > 0.78  # 0.67 without the restoration
