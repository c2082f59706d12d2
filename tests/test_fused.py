"""The compiled render kernel (``zdce_core.fused``): current, loaded where it was built for,
used for the usual render only, and within one level of the eager stages it replaces."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import zdce_core.enhancer as enhancer_module
from tests.test_render_equivalence import reference_render, sample_photo
from zdce_core import fused
from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.model_store import open_model
from zdce_core.pipeline import reduced_for
from zdce_core.render_plan import plan_render

DESCRIPTION = fused.kernel_dir() / f"{fused.NAME}.json"
BUILT_FOR = json.loads(DESCRIPTION.read_text(encoding="utf-8"))

needs_kernel = pytest.mark.skipif(
    BUILT_FOR["target"] != fused.target(),
    reason=f"the kernel is built for {BUILT_FOR['target']}, this is {fused.target()}",
)


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    """The bundled model (DCE-Net++: one map for every iteration), on a 32-pixel copy."""
    return Enhancer(open_model(None), "cpu", estimate_size=32)


def render(enhancer: Enhancer, pixels: np.ndarray, adjustments: Adjustments) -> np.ndarray:
    plan = plan_render(
        enhancer.estimate_downscaled(pixels), adjustments, reduced_for(pixels, adjustments)
    )
    return enhancer.render(pixels, plan).astype(np.int64)


def test_the_kernel_is_built_from_the_current_source():
    assert BUILT_FOR["source"] == fused.source_digest(), (
        "zdce_core/tone.py or fused.py changed since the kernel was built: "
        "run python packaging/build_kernels.py"
    )


@needs_kernel
def test_the_kernel_loads_on_the_machine_it_was_built_for():
    assert fused.fused_tail() is not None


@needs_kernel
@pytest.mark.parametrize("size", [(37, 53), (1, 97), (61, 8)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_kernel_renders_as_the_eager_stages(enhancer, monkeypatch, size):
    monkeypatch.setattr(enhancer_module, "STRIP_ELEMENTS", 1)  # 4-row strips
    pixels = sample_photo(size[0], size[1], sixteen=False)
    for strength in (0.5, 2.5, 8.0, None):
        for denoise in (Denoise.OFF, Denoise.LOW, Denoise.HIGH):
            adjustments = Adjustments(strength, denoise=denoise)
            before = enhancer.fused_strips
            compiled = render(enhancer, pixels, adjustments)
            assert enhancer.fused_strips > before, adjustments
            monkeypatch.setenv("ZDCE_FUSED", "0")
            after = enhancer.fused_strips
            eager = render(enhancer, pixels, adjustments)
            monkeypatch.delenv("ZDCE_FUSED")
            assert enhancer.fused_strips == after
            assert np.abs(compiled - eager).max() <= 1, adjustments


@needs_kernel
def test_the_kernel_render_matches_the_judged_reference(enhancer):
    pixels = sample_photo(130, 3000, sixteen=False)  # three strips (58 rows, 58, 14)
    adjustments = Adjustments(6.5)
    plan = plan_render(
        enhancer.estimate_downscaled(pixels), adjustments, reduced_for(pixels, adjustments)
    )
    before = enhancer.fused_strips
    got = enhancer.render(pixels, plan).astype(np.int64)
    assert enhancer.fused_strips == before + 3
    assert np.abs(got - reference_render(pixels, plan).astype(np.int64)).max() <= 1


@needs_kernel
def test_other_renders_run_eagerly(enhancer):
    """The kernel renders scene-aware, protected 8-bit photos at least 2 pixels wide and
    with a strength; anything else goes the eager way."""
    eight, sixteen = sample_photo(37, 53, sixteen=False), sample_photo(37, 53, sixteen=True)
    cases = [
        (eight, Adjustments(4.0, protect_highlights=False)),
        (eight, Adjustments(4.0, scene_aware=False)),
        (eight, Adjustments(0.0)),
        (sixteen, Adjustments(4.0)),
        (sample_photo(9, 1, sixteen=False), Adjustments(4.0)),
    ]
    for pixels, adjustments in cases:
        before = enhancer.fused_strips
        render(enhancer, pixels, adjustments)
        assert enhancer.fused_strips == before, adjustments


def test_maps_per_iteration_are_not_shared():
    one = torch.zeros(1, 1, 2, 2)
    assert fused.shared_map([one] * 3) is one
    assert fused.shared_map([one, torch.zeros(1, 1, 2, 2)]) is None
    assert fused.shared_map([torch.zeros(1, 3, 2, 2)] * 2) is None
    assert fused.shared_map([]) is None


def test_a_kernel_for_another_torch_or_a_broken_one_is_not_used(tmp_path: Path):
    foreign = tmp_path / "foreign"
    shutil.copytree(fused.kernel_dir(), foreign)
    described = json.loads((foreign / DESCRIPTION.name).read_text(encoding="utf-8"))
    described["target"]["torch"] = "1.0.0"
    (foreign / DESCRIPTION.name).write_text(json.dumps(described), encoding="utf-8")
    assert fused.fused_tail(foreign) is None

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / f"{fused.NAME}.so").write_bytes(b"not a library")
    described["target"] = fused.target()
    (broken / DESCRIPTION.name).write_text(json.dumps(described), encoding="utf-8")
    assert fused.fused_tail(broken) is None

    assert fused.fused_tail(tmp_path / "missing") is None


def test_the_kernel_can_be_switched_off(monkeypatch):
    monkeypatch.setenv("ZDCE_FUSED", "0")
    assert fused.fused_tail() is None
