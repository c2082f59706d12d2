import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from tests.conftest import dark_rgb, random_model
from zdce_core import enhancer as enh
from zdce_core.adjustments import FIXED_FULL
from zdce_core.cancel import Cancelled
from zdce_core.curves import apply_curves
from zdce_core.enhancer import Enhancer
from zdce_core.parallel import compute_threads
from zdce_core.pipeline import enhance_photo
from zdce_core.render_plan import RenderPlan
from zdce_core.weights import LoadedModel


def to_uint8(x: torch.Tensor) -> np.ndarray:
    return (x * 255 + 0.5).clamp(0, 255).byte()[0].permute(1, 2, 0).numpy()


@pytest.mark.parametrize("arch", ["dcenet", "dcenet++"])
@pytest.mark.parametrize("strength", [8.0, 3.7])
def test_render_matches_whole_image_upsampling(arch, strength, monkeypatch):
    monkeypatch.setattr(enh, "STRIP_ELEMENTS", 3 * 101 * 7)  # many strips of 7 rows
    px = dark_rgb(61, 101)
    e = Enhancer(random_model(arch), "cpu", estimate_size=32)
    maps = e.estimate_downscaled(px)
    assert maps.small.shape[2:] == (19, 32)
    out = e.render(px, RenderPlan.plain(maps, strength))
    x = torch.from_numpy(px).permute(2, 0, 1)[None].float() / 255
    full = F.interpolate(maps.small, size=(61, 101), mode="bilinear", align_corners=False)
    expected = to_uint8(apply_curves(x, full, strength))
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_full_resolution_tiles_match_one_pass(monkeypatch):
    monkeypatch.setattr(enh, "FULL_RES_TILE", 24)  # several tiles both ways
    px = dark_rgb(50, 70)
    model = random_model()
    out = enhance_photo(Enhancer(model, "cpu", full_res=True), px, FIXED_FULL).pixels
    x = torch.from_numpy(px).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        expected = to_uint8(apply_curves(x, model.net(x), 8.0))
    assert np.abs(out.astype(int) - expected).max() <= 1


def test_strength_zero_returns_the_input():
    px = dark_rgb()
    e = Enhancer(random_model(), "cpu")
    assert np.array_equal(e.render(px, RenderPlan.plain(e.estimate_downscaled(px), 0.0)), px)


def test_one_estimate_many_strengths_brighten_monotonically():
    from tests.conftest import brightening_net

    px = dark_rgb()
    e = Enhancer(LoadedModel(brightening_net()), "cpu")
    maps = e.estimate_downscaled(px)
    means = [float(e.render(px, RenderPlan.plain(maps, s)).mean()) for s in (0, 1, 2.5, 4, 8)]
    assert all(b > a for a, b in itertools.pairwise(means))


def test_sixteen_bit_pixels_keep_their_depth():
    px = dark_rgb().astype(np.uint16) * 257
    e = Enhancer(random_model(), "cpu")
    out = enhance_photo(e, px, FIXED_FULL).pixels
    assert out.dtype == np.uint16
    out8 = enhance_photo(e, dark_rgb(), FIXED_FULL).pixels
    assert np.abs(out.astype(int) / 257 - out8).max() <= 1.5


def test_cancel_between_strips(monkeypatch):
    monkeypatch.setattr(enh, "STRIP_ELEMENTS", 3 * 64 * 4)
    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        enhance_photo(Enhancer(random_model(), "cpu"), dark_rgb(), FIXED_FULL, cancel)
    # 12 strips; the workers that were already past their check finish their strip
    assert 4 <= len(calls) <= 3 + compute_threads()


def test_maps_for_another_size_are_refused():
    e = Enhancer(random_model(), "cpu")
    with pytest.raises(ValueError, match="another size"):
        e.render(dark_rgb(40, 40), RenderPlan.plain(e.estimate_downscaled(dark_rgb()), 8.0))


def test_unavailable_devices_are_refused():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            Enhancer(random_model(), "cuda")
    with pytest.raises(ValueError, match="unknown device"):
        Enhancer(random_model(), "tpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_half_precision_is_close_to_cpu():
    px = dark_rgb(120, 160)
    cpu = enhance_photo(Enhancer(random_model(), "cpu"), px, FIXED_FULL).pixels
    gpu = enhance_photo(Enhancer(random_model(), "cuda"), px, FIXED_FULL).pixels
    assert np.abs(cpu.astype(int) - gpu).max() <= 3
