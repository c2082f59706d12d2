"""Auto exposure, highlight protection and denoising, on photos the tests make."""

import numpy as np
import pytest
import torch

from tests.conftest import brightening_net, dark_rgb, noisy_edge_photo
from zdce_core.adjustments import FIXED_FULL, Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.pipeline import enhance_photo
from zdce_core.render_plan import RenderPlan
from zdce_core.tone import CLIP_LEVEL, PROTECT_BELOW, cap_highlights_
from zdce_core.weights import LoadedModel


@pytest.fixture
def enhancer() -> Enhancer:
    return Enhancer(LoadedModel(brightening_net()), "cpu")


def flat(level: float, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(1)
    rgb = np.full((size, size, 3), level * 255.0) + rng.normal(0, 3, (size, size, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def clipped(pixels: np.ndarray) -> float:
    return float((pixels >= 254).any(axis=2).mean())


def test_darker_photos_get_more_strength(enhancer):
    dark = enhance_photo(enhancer, flat(0.08), Adjustments())
    dim = enhance_photo(enhancer, flat(0.2), Adjustments())
    assert dark.auto and dim.auto
    assert 0.0 < dim.strength < dark.strength <= 8.0


def test_auto_lifts_toward_the_target(enhancer):
    result = enhance_photo(enhancer, flat(0.2), Adjustments(target_brightness=0.4))
    assert result.pixels.mean() / 255 == pytest.approx(0.4, abs=0.03)
    assert result.strength < 8.0


def test_a_well_exposed_photo_is_left_almost_unchanged(enhancer):
    photo = flat(0.55)
    result = enhance_photo(enhancer, photo, Adjustments())
    assert result.strength == 0.0
    assert abs(result.pixels.mean() - photo.mean()) / 255 <= 0.03


def test_a_manual_strength_overrides_auto(enhancer):
    result = enhance_photo(enhancer, flat(0.3), Adjustments(strength=6.0))
    assert result.strength == 6.0 and not result.auto
    assert result.pixels.mean() > enhance_photo(enhancer, flat(0.3), Adjustments()).pixels.mean()


def lamp_photo(core: float = 250.0) -> np.ndarray:
    """A dark room with a lamp whose core reaches ``core`` (nearly, not quite, white)."""
    photo = dark_rgb(96, 96).astype(np.float64)
    yy, xx = np.mgrid[0:96, 0:96]
    r = np.hypot(yy - 48, xx - 48)
    glow = np.clip(1.0 - r / 30.0, 0.0, 1.0)[:, :, None]
    photo = photo * (1 - glow) + glow * np.array([core + 8.0, core, core - 30.0])
    return np.clip(photo, 0, core).astype(np.uint8)


def test_highlight_protection_adds_no_clipped_pixels(enhancer):
    photo = lamp_photo()
    assert clipped(photo) == 0.0
    plain = enhance_photo(enhancer, photo, FIXED_FULL).pixels
    protected = enhance_photo(
        enhancer, photo, Adjustments(strength=8.0, denoise=Denoise.OFF)
    ).pixels
    assert clipped(plain) > 0.05  # the curves alone blow the lamp out
    assert clipped(protected) == 0.0
    assert protected.mean() > photo.mean() + 40  # the room is still lifted


def test_a_lamp_at_the_sensor_limit_does_not_keep_the_room_dark(enhancer):
    photo = lamp_photo(core=253.0)  # lamp pixels a step from white clip at any strength
    result = enhance_photo(enhancer, photo, Adjustments(denoise=Denoise.OFF))
    assert result.pixels.mean() / 255 == pytest.approx(0.5, abs=0.03)  # the target is reached


def test_the_cap_keeps_tonal_order():
    x0 = torch.linspace(0, 1, 4001).view(1, 1, 1, -1).expand(1, 3, 1, -1).contiguous()
    y = x0.clone()
    for _ in range(8):
        y = y + (-1.0) * (y * y - y)  # the strongest possible curve
    capped = cap_highlights_(y, x0)
    assert bool((capped.diff(dim=3) >= 0).all())
    assert float(capped[..., x0[0, 0, 0] < PROTECT_BELOW].max()) < CLIP_LEVEL


def chroma_noise(pixels: np.ndarray) -> float:
    """Standard deviation of R − G and B − G inside the two flat halves (edge excluded)."""
    p = pixels.astype(np.float64)
    parts = [p[8:-8, 8:56], p[8:-8, 72:120]]
    return float(np.mean([np.std(q[..., c] - q[..., 1]) for q in parts for c in (0, 2)]))


def test_denoise_lowers_noise_and_keeps_the_edge(enhancer):
    photo = noisy_edge_photo()  # the denoiser alone: the model's curves as they are

    def render(denoise: Denoise) -> np.ndarray:
        adjustments = Adjustments(strength=8.0, denoise=denoise, scene_aware=False)
        return enhance_photo(enhancer, photo, adjustments).pixels

    off = render(Denoise.OFF)
    levels = {d: render(d) for d in (Denoise.LOW, Denoise.MEDIUM, Denoise.HIGH)}
    noise = [chroma_noise(off)] + [chroma_noise(levels[d]) for d in levels]
    assert noise[1] < 0.8 * noise[0] and noise[3] < noise[1]

    def step(img: np.ndarray) -> float:  # across the edge, beside it
        return img[:, 66:70].mean() - img[:, 58:62].mean()

    def sharpness(img: np.ndarray) -> float:  # the share of the step taken in two pixels
        return (img[:, 64:66].mean() - img[:, 62:64].mean()) / step(img)

    for level, result in levels.items():  # every level smooths the luma of shadows too
        sharp = 0.85 if level is Denoise.HIGH else 0.9  # HIGH crosses stronger edges
        assert sharpness(result) >= sharp * sharpness(off)  # the edge stays sharp
        assert step(result) >= 0.9 * step(off)
        assert abs(result.mean() - off.mean()) < 2.0  # brightness is not changed


def luma_grain(pixels: np.ndarray) -> float:
    """Standard deviation of the luma (8-bit levels) of a flat patch."""
    return float((pixels[8:-8, 8:-8].astype(np.float64) @ (0.299, 0.587, 0.114)).std())


@pytest.mark.parametrize("level", [0.06, 0.45])
def test_low_denoise_smooths_the_luma_of_shadows_only(enhancer, level):
    rng = np.random.default_rng(5)
    grain = rng.normal(0.0, 3.0, (96, 96, 1)) * np.ones(3)  # luma grain, no colour noise
    photo = np.clip(level * 255.0 + grain, 0, 255).astype(np.uint8)

    def render(denoise: Denoise) -> np.ndarray:
        adjustments = Adjustments(strength=4.0, denoise=denoise, scene_aware=False)
        return enhance_photo(enhancer, photo, adjustments).pixels

    off, low = luma_grain(render(Denoise.OFF)), luma_grain(render(Denoise.LOW))
    if level < 0.1:  # a lifted shadow: its grain is halved
        assert low < 0.6 * off
    else:  # lit: only colour is filtered, the luma's texture stays
        assert low == pytest.approx(off, rel=0.05)


def test_denoise_off_and_no_protection_is_the_plain_rendering(enhancer):
    photo = dark_rgb(40, 56)
    plain = enhancer.render(photo, RenderPlan.plain(enhancer.estimate_downscaled(photo), 5.5))
    same = enhance_photo(
        enhancer,
        photo,
        Adjustments(5.5, protect_highlights=False, denoise=Denoise.OFF, scene_aware=False),
    ).pixels
    assert np.array_equal(plain, same)


@pytest.mark.parametrize(
    "kwargs", [{"strength": 9.0}, {"strength": float("nan")}, {"target_brightness": 1.0}]
)
def test_bad_adjustments_are_refused(kwargs):
    with pytest.raises(ValueError):
        Adjustments(**kwargs)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_default_adjustments_match_cpu():
    photo = noisy_edge_photo()
    cpu = enhance_photo(Enhancer(LoadedModel(brightening_net()), "cpu"), photo, Adjustments())
    gpu = enhance_photo(Enhancer(LoadedModel(brightening_net()), "cuda"), photo, Adjustments())
    assert abs(cpu.strength - gpu.strength) <= 0.1
    assert np.abs(cpu.pixels.astype(int) - gpu.pixels.astype(int)).max() <= 4


def test_the_shoulder_leaves_a_bright_window_as_it_is(enhancer):
    photo = flat(0.1, 96)
    photo[:, 64:] = flat(0.8, 96)[:, 64:]  # a bright window on the right
    out = enhance_photo(enhancer, photo, Adjustments(strength=8.0)).pixels.astype(int)
    assert out[:, :48].mean() > photo[:, :48].mean() + 40  # the room is lifted
    assert abs(out[:, 72:].mean() - photo[:, 72:].mean()) < 3  # the window is not
    plain = enhance_photo(enhancer, photo, Adjustments(8.0, protect_highlights=False)).pixels
    assert plain[:, 72:].mean() > photo[:, 72:].mean() + 20  # without protection it is


def test_full_resolution_estimation_takes_the_same_adjustments():
    photo = lamp_photo()
    enhancer = Enhancer(LoadedModel(brightening_net()), "cpu", full_res=True)
    result = enhance_photo(enhancer, photo, Adjustments())
    assert result.auto and 0.0 < result.strength <= 8.0
    assert clipped(result.pixels) == 0.0 and result.pixels.mean() > photo.mean() + 20
