"""Extreme colour casts (sodium lamps) are partly corrected; moderate moods are left alone."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.conftest import save_photo
from tests.synthetic import tinted
from zdce_core.adjustments import Adjustments
from zdce_core.batch import iter_batch
from zdce_core.batch_events import CAST_NOTE, ItemFinished, ItemStatus
from zdce_core.cast import CAST_FROM, CAST_LIMIT, cast_gains, correct_cast_, corrected, scaled
from zdce_core.cli import main
from zdce_core.discovery import discover
from zdce_core.enhancer import Enhancer
from zdce_core.luma_ramps import LUMA
from zdce_core.model_store import open_model
from zdce_core.outputs import OutputOptions, plan
from zdce_core.pipeline import enhance_photo, reduced_for
from zdce_core.render_plan import plan_render


def as_tensor(pixels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(pixels.astype(np.float32) / 255.0).permute(2, 0, 1)[None]


def channel_ratios(pixels: np.ndarray) -> tuple[float, float]:
    means = pixels.reshape(-1, 3).astype(np.float64).mean(axis=0)
    return means[0] / means[1], means[2] / means[1]


@pytest.mark.parametrize(("red", "blue"), [(1.0, 1.0), (1.4, 0.75), (0.8, 1.4)])
def test_a_neutral_or_moderately_tinted_photo_is_not_corrected(red, blue):
    assert cast_gains(as_tensor(tinted(red, blue))) is None


def test_a_black_photo_is_not_corrected():
    assert cast_gains(torch.zeros(1, 3, 8, 8)) is None


def test_a_sodium_cast_is_partly_taken_out_keeping_brightness():
    gains = cast_gains(as_tensor(tinted(3.5, 0.3)))
    assert gains is not None
    red, green, blue = gains
    assert red < 1.0 < blue
    # the luma-weighted log-average of the exponents is 0: the photo's brightness stays
    assert sum(w * math.log(g) for w, g in zip(LUMA, gains, strict=True)) == pytest.approx(0.0)
    # partly: the red ÷ green log-ratio (ln 3.5) keeps more than CAST_FROM of itself
    kept = math.log(3.5) + math.log(red / green)
    assert CAST_FROM < kept < math.log(3.5)


def test_a_photo_with_almost_no_blue_gets_a_bounded_correction():
    """A deep red stage light: blue's mean is 3 % of green's; its noise is not lifted
    into a colour of its own."""
    gains = cast_gains(as_tensor(tinted(3.0, 0.03)))
    assert gains is not None
    assert all(math.exp(-2 * CAST_LIMIT) <= g <= math.exp(2 * CAST_LIMIT) for g in gains)


def test_the_correction_keeps_black_white_and_the_order_of_values():
    values = torch.linspace(0.0, 1.0, 256).view(1, 1, 1, 256).expand(1, 3, 1, 256)
    out = corrected(values.clone(), (0.6, 1.1, 2.0))
    assert torch.allclose(out[..., 0], torch.zeros(1, 3, 1))
    assert torch.allclose(out[..., -1], torch.ones(1, 3, 1))
    assert bool((out.diff(dim=3) >= 0).all())
    assert float(out[0, 2, 0, 10]) > float(values[0, 2, 0, 10])  # blue lifted
    assert float(out[0, 0, 0, 10]) < float(values[0, 0, 0, 10])  # red lowered


def test_the_correction_raises_no_channel_past_green():
    """Orange fog whose dark edge, out of the lamp's reach, is about neutral: the fog gets
    bluer, the edge is not turned purple, and a blue sign is not made bluer."""
    fog, edge, sign = (0.60, 0.35, 0.08), (0.06, 0.05, 0.048), (0.10, 0.20, 0.40)
    pixels = torch.tensor([fog, edge, sign]).T.reshape(1, 3, 1, 3)
    gains = (0.7, 1.0, 2.2)
    out = correct_cast_(pixels.clone(), gains)[0, :, 0].T
    plain = 1.0 - (1.0 - pixels[0, :, 0].T) ** torch.tensor(gains)
    assert float(out[0, 2]) == pytest.approx(float(plain[0, 2]))  # the fog: corrected in full
    assert float(plain[1, 2]) > float(plain[1, 1])  # uncapped, the edge would turn blue
    assert float(out[1, 2]) == pytest.approx(float(out[1, 1]))  # capped: neutral
    assert float(out[2, 2]) == pytest.approx(0.40)  # the sign's blue as it was
    torch.testing.assert_close(out[:, :2], plain[:, :2])  # red and green as the curves give


def test_the_correction_goes_with_the_strength():
    gains = (0.6, 1.1, 2.0)
    assert scaled(gains, 0.0) is None
    assert scaled(None, 1.0) is None
    assert scaled(gains, 1.0) == pytest.approx(gains)
    assert scaled(gains, 0.5) == pytest.approx(tuple(math.sqrt(g) for g in gains))


def test_no_cast_means_the_pixels_themselves():
    x = torch.rand(1, 3, 4, 4)
    assert corrected(x, None) is x
    assert correct_cast_(x, (1.0, 1.0, 1.0)) is x


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    return Enhancer(open_model(None), "cpu")


def test_a_sodium_lit_photo_comes_out_less_orange(enhancer, monkeypatch):
    pixels = tinted(3.5, 0.3)
    corrected_result = enhance_photo(enhancer, pixels, Adjustments(6.0)).pixels
    monkeypatch.setattr("zdce_core.denoise.cast_gains", lambda _: None)
    kept_result = enhance_photo(enhancer, pixels, Adjustments(6.0)).pixels
    red, blue = channel_ratios(corrected_result)
    kept_red, kept_blue = channel_ratios(kept_result)
    assert red < kept_red - 0.3
    assert blue > kept_blue + 0.1
    # still warm: a partial correction, not a grey world
    assert red > 1.5


def test_only_the_scene_aware_rendering_corrects_a_cast(enhancer):
    pixels = tinted(3.5, 0.3)
    estimate = enhancer.estimate_downscaled(pixels)
    for scene_aware in (True, False):
        adjustments = Adjustments(6.0, scene_aware=scene_aware)
        plan = plan_render(estimate, adjustments, reduced_for(pixels, adjustments))
        assert (plan.cast is not None) is scene_aware


def test_keeping_casts_renders_the_colours_as_shot(enhancer, monkeypatch, tmp_path):
    """Cast correction off (--no-cast-correction, the app's box): the plan has no correction,
    the result is the scene-aware rendering without it, and the batch notes nothing."""
    pixels = tinted(3.5, 0.3)
    kept = Adjustments(6.0, correct_cast=False)
    estimate = enhancer.estimate_downscaled(pixels)
    assert plan_render(estimate, kept, reduced_for(pixels, kept)).cast is None
    result = enhance_photo(enhancer, pixels, kept).pixels
    monkeypatch.setattr("zdce_core.denoise.cast_gains", lambda _: None)
    assert np.array_equal(result, enhance_photo(enhancer, pixels, Adjustments(6.0)).pixels)
    save_photo(tmp_path / "night" / "sodium.png", pixels)
    opts = OutputOptions(tmp_path / "out")
    pairs, _ = plan(discover([tmp_path / "night"])[0], opts)
    items = [e for e in iter_batch(pairs, enhancer, opts, kept) if isinstance(e, ItemFinished)]
    assert [(i.status, i.reason) for i in items] == [(ItemStatus.DONE, "")]


def test_a_cast_photo_left_at_strength_zero_keeps_its_colours(enhancer):
    """A red-lit stage that needs no lift is left exactly as it was, colours included."""
    pixels = tinted(3.5, 0.3)
    out = enhance_photo(enhancer, pixels, Adjustments(0.0)).pixels
    assert np.abs(out.astype(int) - pixels).max() <= 1


def test_the_batch_says_which_photos_had_their_cast_corrected(tmp_path, enhancer):
    folder = tmp_path / "night"
    save_photo(folder / "sodium.png", tinted(3.5, 0.3))
    save_photo(folder / "warm.png", tinted(1.3, 0.8))
    opts = OutputOptions(tmp_path / "out")
    found, _ = discover([folder])
    pairs, _ = plan(found, opts)
    done = {
        e.path.name: e
        for e in iter_batch(pairs, enhancer, opts)
        if isinstance(e, ItemFinished) and e.status is ItemStatus.DONE
    }
    assert {name: item.reason for name, item in done.items()} == {
        "sodium.png": CAST_NOTE,
        "warm.png": "",
    }
    # each front end says how to keep the cast, in its own terms, only where it was corrected
    assert done["sodium.png"].notes("the way back") == f"{CAST_NOTE} (the way back)"
    assert done["warm.png"].notes("the way back") == ""


def test_the_command_line_says_how_to_keep_a_cast(tmp_path, capsys):
    save_photo(tmp_path / "night" / "sodium.png", tinted(3.5, 0.3))
    assert main(["enhance", str(tmp_path / "night"), "-o", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert f"{CAST_NOTE} (--no-cast-correction keeps it as shot)" in err
