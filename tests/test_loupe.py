"""The loupe renders any region of a photo as the batch renders the whole photo."""

import numpy as np
import pytest
import torch

from tests.conftest import brightening_net, dark_rgb, save_photo
from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.loupe import Region, load_full_photo, render_region
from zdce_core.pipeline import enhance_photo
from zdce_core.weights import LoadedModel

HEIGHT, WIDTH = 301, 437  # odd sizes: the upsampling's edges are not on whole pixels

REGIONS = [
    Region(0, 0, 80, 60),  # top-left corner
    Region(WIDTH - 97, HEIGHT - 41, 97, 41),  # bottom-right corner
    Region(WIDTH - 50, 0, 50, HEIGHT),  # the right edge, all rows
    Region(0, 133, WIDTH, 7),  # a band across, all columns
    Region(151, 77, 123, 95),  # inside
    Region(200, 150, 1, 1),  # one pixel
]


def textured_photo() -> np.ndarray:
    """Dark, with a gradient, noise and a one-pixel checkerboard patch (fine detail)."""
    rgb = dark_rgb(HEIGHT, WIDTH, seed=5).astype(np.int32)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    rgb[100:200, 150:300] += (((yy + xx) % 2) * 40)[100:200, 150:300, None]
    return np.clip(rgb, 0, 255).astype(np.uint8)


def varied_enhancer() -> Enhancer:
    """Maps that brighten (so denoising acts) and vary across the photo, estimated on a
    64-pixel copy (so they are upsampled by a fraction: a region off by one column shows)."""
    net = brightening_net()
    torch.manual_seed(1)
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return Enhancer(LoadedModel(net), "cpu", estimate_size=64)


@pytest.mark.parametrize(
    "adjustments",
    [
        Adjustments(denoise=Denoise.OFF),
        Adjustments(denoise=Denoise.HIGH),
        Adjustments(4.0, denoise=Denoise.LOW, scene_aware=False, protect_highlights=False),
    ],
)
def test_a_region_is_the_crop_of_the_batch_result(tmp_path, adjustments):
    photo = textured_photo()
    enhancer = varied_enhancer()
    full = load_full_photo(enhancer, save_photo(tmp_path / "p.png", photo))
    batch = enhance_photo(enhancer, photo, adjustments)
    for region in REGIONS:
        shown = render_region(enhancer, full, adjustments, region)
        crop = batch.pixels[region.rows, region.columns]
        assert shown.after.shape == crop.shape
        assert np.abs(shown.after.astype(int) - crop).max() <= 1, region
        assert np.array_equal(shown.before, photo[region.rows, region.columns])
        assert shown.strength == batch.strength
