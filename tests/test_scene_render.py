"""The scene-aware rendering with the shipped model, on scenes the tests make: a night street
stays night, lit subjects keep their texture, greys stay neutral, a backlit subject is
lifted, and every front end renders by the same plan."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np
import pytest

from tests.conftest import save_photo
from zdce_core import pipeline
from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.evaluation import score_image
from zdce_core.losses import LossWeights, ZeroReferenceLoss
from zdce_core.model_store import open_model
from zdce_core.pipeline import enhance_photo
from zdce_core.preview import UpsampledMaps, make_preview, render_preview
from zdce_core.render_plan import RenderPlan, plan_render, planned_maps
from zdce_core.white_point import WHITES_FROM

if TYPE_CHECKING:
    import torch

LUMA = np.array([0.299, 0.587, 0.114])


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    return Enhancer(open_model(None), "cpu")


def luma(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float64) @ LUMA / 255.0


def night_street(seed: int = 0) -> np.ndarray:
    """160×160: a noisy near-black sky (70 %), a dim street (15 %) and a floodlit textured
    facade (15 %, mean 0.45, stripes of ±0.1)."""
    rng = np.random.default_rng(seed)
    img = np.full((160, 160, 3), 3.0) + rng.normal(0, 1.5, (160, 160, 3))
    img[112:136] = 20.0 + rng.normal(0, 2, (24, 160, 3))
    stripes = 115.0 + 25.0 * np.sign(np.sin(np.arange(160) / 2.0))
    img[136:] = stripes[None, :, None] + rng.normal(0, 2, (24, 160, 3))
    return np.clip(img, 0, 255).astype(np.uint8)


def test_a_night_scene_stays_night_and_the_lit_facade_keeps_its_texture(enhancer):
    photo = night_street()
    out = enhance_photo(enhancer, photo, Adjustments()).pixels
    sky, street, facade = (slice(0, 100), slice(114, 134), slice(140, 160))
    assert luma(out[sky]).mean() <= 0.06  # dark, not a grey day (the input is 0.012)
    assert luma(out[street]).mean() >= 2.5 * luma(photo[street]).mean()  # readable
    kept = luma(out[facade]).std() / luma(photo[facade]).std()
    assert kept >= 0.7
    assert (luma(out[facade]) >= 240 / 255).mean() == 0.0  # not blown


def test_a_neutral_grey_wall_stays_neutral(enhancer):
    rng = np.random.default_rng(1)
    wall = np.clip(0.15 * 255 + rng.normal(0, 1.0, (96, 96, 3)), 0, 255).astype(np.uint8)
    out = enhance_photo(enhancer, wall, Adjustments()).pixels.astype(np.float64)
    means = out.reshape(-1, 3).mean(axis=0)
    assert means.mean() >= wall.mean() + 20  # lifted
    assert means.max() - means.min() <= 2.0


def test_a_backlit_subject_is_lifted_and_the_bright_field_left_alone(enhancer):
    rng = np.random.default_rng(2)
    photo = np.full((128, 128, 3), 0.75 * 255) + rng.normal(0, 2, (128, 128, 3))
    photo[32:96, 40:88] = 0.06 * 255 + rng.normal(0, 2, (64, 48, 3))
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    result = enhance_photo(enhancer, photo, Adjustments())
    out = result.pixels
    assert result.strength > 0
    subject = (slice(40, 88), slice(48, 80))
    assert luma(out[subject]).mean() >= 2 * luma(photo[subject]).mean()
    field = np.ones((128, 128), bool)
    field[32:96, 40:88] = False
    assert abs(luma(out)[field].mean() - luma(photo)[field].mean()) < 0.03


def test_strength_zero_leaves_the_photo_as_it_was(enhancer):
    photo = night_street(3)
    out = enhance_photo(enhancer, photo, Adjustments(strength=0.0)).pixels
    assert np.abs(out.astype(int) - photo).max() <= 1


def test_a_higher_target_gives_a_higher_strength(enhancer):
    photo = night_street(4)
    strengths = [
        enhance_photo(enhancer, photo, Adjustments(target_brightness=t)).strength
        for t in (0.3, 0.4, 0.5, 0.6)
    ]
    assert strengths == sorted(strengths) and strengths[0] < strengths[-1]


SETTINGS = [
    Adjustments(),
    Adjustments(strength=3.5),
    Adjustments(strength=8.0, denoise=Denoise.HIGH),
    Adjustments(denoise=Denoise.OFF, protect_highlights=False),
    Adjustments(scene_aware=False),
    Adjustments(strength=6.0, scene_aware=False, denoise=Denoise.MEDIUM),
]


@pytest.mark.parametrize("adjustments", SETTINGS, ids=range(len(SETTINGS)))
def test_the_preview_renders_what_the_batch_writes(tmp_path, enhancer, adjustments):
    photo = night_street(5)  # smaller than a preview: the preview is the photo itself
    preview = make_preview(enhancer, save_photo(tmp_path / "p.png", photo))
    upsampled = UpsampledMaps(planned_maps(preview.maps, adjustments))
    batch = enhance_photo(enhancer, photo, adjustments)
    shown = render_preview(enhancer, preview, adjustments, upsampled)
    assert (shown.strength, shown.stages) == (batch.strength, batch.stages)
    assert np.abs(shown.pixels.astype(int) - batch.pixels).max() <= 1


@pytest.mark.parametrize("adjustments", SETTINGS[:2] + SETTINGS[4:5], ids=range(3))
def test_batch_preview_and_evaluate_render_by_the_same_plan(
    tmp_path, enhancer, monkeypatch, adjustments
):
    plans: list[RenderPlan] = []
    real = pipeline.plan_render

    def recording(*args, **kwargs) -> RenderPlan:
        plan = real(*args, **kwargs)
        plans.append(plan)
        return plan

    monkeypatch.setattr(pipeline, "plan_render", recording)
    photo = night_street(6)
    path = save_photo(tmp_path / "p.png", photo)
    enhance_photo(enhancer, photo, adjustments)
    render_preview(enhancer, make_preview(enhancer, path), adjustments)
    criterion = ZeroReferenceLoss(LossWeights.for_arch(enhancer.model.arch))
    score_image(enhancer, criterion, path, 512, adjustments)
    assert len(plans) == 3

    def decided(plan: RenderPlan) -> tuple[object, ...]:
        return (
            plan.strength,
            plan.auto,
            plan.stages,
            plan.guide is not None,
            plan.luma_guide is not None,
        )

    assert decided(plans[0]) == decided(plans[1]) == decided(plans[2])


def test_vibrance_brings_back_the_colour_of_lifted_colours_and_leaves_greys_alone():
    """A lifted red coat, a lifted grey wall with a faint tint and a pixel the curves left
    alone: only the coat gains chroma, and its brightest channel stays where it was."""
    import torch

    from zdce_core.tone import vibrance_

    before = torch.tensor([[0.05, 0.02, 0.02], [0.040, 0.038, 0.042], [0.5, 0.3, 0.2]])
    lifted = torch.tensor([[0.40, 0.20, 0.20], [0.30, 0.29, 0.31], [0.5, 0.3, 0.2]])
    x, y = (t.T.reshape(1, 3, 1, 3) for t in (before, lifted))
    out = vibrance_(y.clone(), x)[0, :, 0].T

    def saturation(rgb: torch.Tensor) -> torch.Tensor:
        return (rgb.amax(1) - rgb.amin(1)) / rgb.amax(1)

    assert saturation(out)[0] > saturation(lifted)[0] + 0.05  # the coat
    assert out[0].amax() == pytest.approx(0.40, abs=1e-6)  # its lightness kept
    torch.testing.assert_close(out[1:], lifted[1:])  # the grey wall; the pixel not lifted


def test_vibrance_gives_a_modestly_lifted_colour_more_chroma_than_a_lamp_lit_one():
    """The same lifted orange, once from a dusk photo (luma ×2) and once from a night street
    (×8, where more chroma is more of the lamps' cast): the first gains more chroma; neither
    gets lighter."""
    import torch

    from zdce_core.tone import vibrance_

    lifted = torch.tensor([[0.60, 0.40, 0.30], [0.60, 0.40, 0.30]])
    before = torch.cat([lifted[:1] / 2.0, lifted[1:] / 8.0])
    x, y = (t.T.reshape(1, 3, 1, 2) for t in (before, lifted))
    out = vibrance_(y.clone(), x)[0, :, 0].T
    spread = out.amax(1) - out.amin(1)
    assert spread[0] > spread[1] + 0.02 > 0.32  # both more than the 0.30 they had
    torch.testing.assert_close(out.amax(1), lifted.amax(1))


def _saturation(rgb: torch.Tensor) -> torch.Tensor:
    """Relative saturation of pixels given as rows ``(n, 3)``: spread over the brightest."""
    top = rgb.amax(1)
    return (top - rgb.amin(1)) / (top + 1e-3)


def test_vibrance_gives_a_colour_lifted_from_the_dark_most_of_its_saturation_back():
    """A face under a night street's lamps, lifted ×8 by the neutral curve (which lifts its
    weak channels most) gets back 90 % of the relative saturation it was shot with; a dim
    grey wall with a faint tint, lifted as much, gains no colour."""
    import torch

    from zdce_core.tone import RESTORE_SHARE, vibrance_

    before = torch.tensor([[0.060, 0.040, 0.030], [0.050, 0.048, 0.046]])
    lifted = torch.tensor([[0.50, 0.42, 0.37], [0.45, 0.44, 0.43]])
    x, y = (t.T.reshape(1, 3, 1, 2) for t in (before, lifted))
    out = vibrance_(y.clone(), x)[0, :, 0].T

    assert _saturation(lifted)[0] < 0.6 * _saturation(before)[0]
    torch.testing.assert_close(
        _saturation(out)[0], RESTORE_SHARE * _saturation(before)[0], atol=0.01, rtol=0
    )
    torch.testing.assert_close(out[1], lifted[1])  # the grey stays as the neutral lift left it
    torch.testing.assert_close(out.amax(1), lifted.amax(1))  # no pixel gets lighter


def test_vibrance_takes_a_strongly_coloured_glow_no_further_than_its_own_saturation():
    """The orange glow around a sodium street lamp, lifted with its hue kept, stays at the
    saturation it was shot with; a pastel colour lifted as much still gains chroma."""
    import torch

    from zdce_core.tone import vibrance_

    before = torch.tensor([[0.54, 0.35, 0.14], [0.30, 0.25, 0.21]])
    lifted = before * 1.6
    x, y = (t.T.reshape(1, 3, 1, 2) for t in (before, lifted))
    out = vibrance_(y.clone(), x)[0, :, 0].T

    assert _saturation(out)[0] <= _saturation(before)[0] + 1e-3  # the glow
    assert _saturation(out)[1] > _saturation(before)[1] + 0.05  # the pastel
    torch.testing.assert_close(out.amax(1), lifted.amax(1))


def _plan_and_renders(
    enhancer: Enhancer, photo: np.ndarray
) -> tuple[RenderPlan, np.ndarray, np.ndarray]:
    """The default plan for ``photo``, its render, and the render without the white point."""
    adjustments = Adjustments()
    reduced = pipeline.reduced_for(photo, adjustments)
    plan = plan_render(enhancer.estimate_downscaled(photo), adjustments, reduced)
    kept = enhancer.render(photo, replace(plan, whites=None))
    return plan, enhancer.render(photo, plan), kept


def test_a_dim_photo_gets_whites_and_a_photo_with_a_lamp_keeps_its_own(enhancer):
    rng = np.random.default_rng(5)
    photo = np.full((96, 128, 3), 0.04 * 255) + rng.normal(0, 1.5, (96, 128, 3))
    photo[24:72, 40:88] = 0.25 * 255 + rng.normal(0, 1.5, (48, 48, 3))  # a white dog in the shade
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    plan, out, without = _plan_and_renders(enhancer, photo)
    assert plan.whites is not None
    level, target = plan.whites
    assert target > level
    dog = (slice(30, 66), slice(46, 82))
    assert luma(out[dog]).mean() >= luma(without[dog]).mean() + 0.03  # the white is whiter
    ground = slice(0, 12)  # dark: its result lies below where the white point's curve starts
    assert luma(without[ground]).max() < WHITES_FROM
    assert np.abs(out.astype(int) - without.astype(int))[ground].max() <= 1  # left as it was
    assert (out >= 254).mean() == 0.0  # nothing is clipped
    order = np.argsort(luma(without).ravel(), kind="stable")
    assert np.all(np.diff(luma(out).ravel()[order]) >= -2.0 / 255)  # tones keep their order

    photo[4:10, 4:10] = 250  # a lamp in the frame: the photo has its white
    plan, out, without = _plan_and_renders(enhancer, photo)
    assert plan.whites is None
    np.testing.assert_array_equal(out, without)


def test_the_sky_beside_a_dark_tree_line_gets_no_bright_band(enhancer):
    rng = np.random.default_rng(3)
    photo = np.full((960, 1280, 3), 0.3 * 255) + rng.normal(0, 2, (960, 1280, 3))
    photo[576:] = 0.05 * 255 + rng.normal(0, 2, (384, 1280, 3))  # the trees
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    out = enhance_photo(enhancer, photo, Adjustments()).pixels

    def gain(rows: slice) -> float:
        return float(luma(out[rows]).mean() / luma(photo[rows]).mean())

    open_sky = gain(slice(96, 288))
    assert gain(slice(564, 568)) <= 1.02 * open_sky  # 8–12 rows above the trees
