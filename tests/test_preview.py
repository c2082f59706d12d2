import numpy as np
import pytest

from tests.conftest import brightening_net, noisy_edge_photo, save_photo
from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.pipeline import enhance_photo
from zdce_core.preview import UpsampledMaps, make_preview, render_preview
from zdce_core.render_plan import planned_maps
from zdce_core.weights import LoadedModel


@pytest.mark.parametrize("sodium", [False, True], ids=["neutral", "sodium-cast"])
@pytest.mark.parametrize("denoise", [Denoise.LOW, Denoise.HIGH])
def test_preview_renders_what_the_batch_writes_at_every_strength(tmp_path, denoise, sodium):
    photo = noisy_edge_photo()  # smaller than a preview: the preview is the photo itself
    if sodium:  # under sodium lamps: the cast is corrected, in the preview as in the batch
        photo = np.clip(photo * np.array([3.0, 1.0, 0.33]), 0, 255).astype(np.uint8)
    enhancer = Enhancer(LoadedModel(brightening_net()), "cpu")
    preview = make_preview(enhancer, save_photo(tmp_path / "p.png", photo))
    upsampled = UpsampledMaps(planned_maps(preview.maps, Adjustments()))
    for strength in (8.0, 3.5, None):  # the denoise delta is cached after the first render
        adjustments = Adjustments(strength, denoise=denoise)
        batch = enhance_photo(enhancer, photo, adjustments)
        shown = render_preview(enhancer, preview, adjustments, upsampled)
        assert shown.strength == batch.strength
        assert np.abs(shown.pixels.astype(int) - batch.pixels).max() <= 1
    assert set(preview.deltas) == {denoise}
