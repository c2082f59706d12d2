"""The compiled kernels (``zdce_core.kernels``): current, loaded where they were built for,
used for the usual render and auto exposure only, and equal to the eager code they replace
(the render within one level)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

import zdce_core.enhancer as enhancer_module
from tests.test_render_equivalence import reference_render, sample_photo
from zdce_core.adjustments import Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.exposure import GRID, choose_exposure, grid_keys, grid_renders, render_small
from zdce_core.fused import shared_map
from zdce_core.kernels import (
    EXPOSURE_KEYS,
    KERNELS,
    STRIP_TAIL,
    KernelSpec,
    compiled,
    kernel_dir,
    source_digest,
    target,
)
from zdce_core.model_store import open_model
from zdce_core.pipeline import reduced_for
from zdce_core.render_plan import plan_render
from zdce_core.tone import Stages


def description(spec: KernelSpec, folder: Path | None = None) -> dict:
    folder = folder or kernel_dir()
    return json.loads((folder / f"{spec.name}.json").read_text(encoding="utf-8"))


BUILT_FOR = description(STRIP_TAIL)["target"]

needs_kernel = pytest.mark.skipif(
    target() != BUILT_FOR, reason=f"the kernels are built for {BUILT_FOR}, this is {target()}"
)
USUAL = Stages(scene_aware=True, protect=True)


@pytest.fixture(scope="module")
def enhancer() -> Enhancer:
    """The bundled model (DCE-Net++: one map for every iteration), on a 32-pixel copy."""
    return Enhancer(open_model(None), "cpu", estimate_size=32)


def render(enhancer: Enhancer, pixels: np.ndarray, adjustments: Adjustments) -> np.ndarray:
    plan = plan_render(
        enhancer.estimate_downscaled(pixels), adjustments, reduced_for(pixels, adjustments)
    )
    return enhancer.render(pixels, plan).astype(np.int64)


@pytest.mark.parametrize("spec", KERNELS, ids=lambda k: k.name)
def test_the_kernels_are_built_from_the_current_source(spec: KernelSpec):
    assert description(spec)["source"] == source_digest(spec), (
        f"one of {spec.sources} changed since {spec.name} was built: "
        "run python packaging/build_kernels.py"
    )


@needs_kernel
@pytest.mark.parametrize("spec", KERNELS, ids=lambda k: k.name)
def test_the_kernels_load_on_the_machine_they_were_built_for(spec: KernelSpec):
    assert description(spec)["target"] == BUILT_FOR
    assert compiled(spec) is not None


@needs_kernel
@pytest.mark.parametrize("sixteen", [False, True], ids=["8bit", "16bit"])
@pytest.mark.parametrize("size", [(37, 53), (1, 97), (61, 8)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_kernel_renders_as_the_eager_stages(enhancer, monkeypatch, size, sixteen):
    monkeypatch.setattr(enhancer_module, "STRIP_ELEMENTS", 1)  # 4-row strips
    pixels = sample_photo(size[0], size[1], sixteen=sixteen)
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
    """The kernels render scene-aware, protected 8- and 16-bit photos at least 2 pixels wide
    and with a strength; anything else goes the eager way."""
    eight, sixteen = sample_photo(37, 53, sixteen=False), sample_photo(37, 53, sixteen=True)
    cases = [
        (eight, Adjustments(4.0, protect_highlights=False)),
        (eight, Adjustments(4.0, scene_aware=False)),
        (eight, Adjustments(0.0)),
        (sixteen, Adjustments(4.0, scene_aware=False)),
        (sample_photo(9, 1, sixteen=False), Adjustments(4.0)),
    ]
    for pixels, adjustments in cases:
        before = enhancer.fused_strips
        render(enhancer, pixels, adjustments)
        assert enhancer.fused_strips == before, adjustments


def test_maps_per_iteration_are_not_shared():
    one = torch.zeros(1, 1, 2, 2)
    assert shared_map([one] * 3) is one
    assert shared_map([one, torch.zeros(1, 1, 2, 2)]) is None
    assert shared_map([torch.zeros(1, 3, 2, 2)] * 2) is None
    assert shared_map([]) is None


@pytest.mark.parametrize("spec", KERNELS, ids=lambda k: k.name)
def test_a_kernel_for_another_torch_or_a_broken_one_is_not_used(tmp_path: Path, spec):
    foreign = tmp_path / "foreign"
    shutil.copytree(kernel_dir(), foreign)
    described = description(spec, foreign)
    described["target"]["torch"] = "1.0.0"
    (foreign / f"{spec.name}.json").write_text(json.dumps(described), encoding="utf-8")
    assert compiled(spec, foreign) is None

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / f"{spec.name}.so").write_bytes(b"not a library")
    described["target"] = target()
    (broken / f"{spec.name}.json").write_text(json.dumps(described), encoding="utf-8")
    assert compiled(spec, broken) is None

    assert compiled(spec, tmp_path / "missing") is None


@pytest.mark.parametrize("spec", KERNELS, ids=lambda k: k.name)
def test_the_kernels_can_be_switched_off(monkeypatch, spec):
    monkeypatch.setenv("ZDCE_FUSED", "0")
    assert compiled(spec) is None


def small_copy(h: int, w: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A dark copy ``(1, 3, h, w)`` with a bright corner, brightening maps per iteration
    ``(1, 8, h, w)`` and two pixel weights ``(2, 1, h, w)``."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.rand(1, 3, h, w, generator=generator) * 0.2
    x[:, :, : h // 3, : w // 3] += 0.75
    maps = -torch.rand(1, 8, h, w, generator=generator) * 0.9
    return x.clamp(0, 1), maps, torch.rand(2, 1, h, w, generator=generator)


def test_the_grid_renders_each_strength_as_a_single_render():
    x, maps, _ = small_copy(19, 23, seed=1)
    for stages in (USUAL, Stages(True, False), Stages(False, True), Stages(False, False)):
        planned = maps if stages.scene_aware else maps[:, :1].expand(-1, 3, -1, -1)
        results = grid_renders(x, planned, stages)
        assert results.shape == (len(GRID), 3, 19, 23)
        for i, strength in enumerate(GRID):
            single = render_small(x, planned, float(strength), stages)
            torch.testing.assert_close(results[i : i + 1], single, atol=1e-6, rtol=0)


@needs_kernel
@pytest.mark.parametrize("size", [(2, 2), (37, 53), (128, 97), (3, 128)], ids=str)
def test_the_exposure_kernel_computes_the_eager_keys(size):
    kernel = compiled(EXPOSURE_KEYS)
    assert kernel is not None
    x, maps, weights = small_copy(*size, seed=sum(size))
    expected = grid_keys(x, maps, weights, USUAL)
    assert expected.shape == (2, len(GRID))
    torch.testing.assert_close(kernel(x, maps, weights), expected, atol=1e-5, rtol=0)


@needs_kernel
def test_auto_exposure_chooses_the_same_strengths_with_and_without_the_kernel(monkeypatch):
    chosen = {}
    for switch in ("1", "0"):
        monkeypatch.setenv("ZDCE_FUSED", switch)
        chosen[switch] = [
            choose_exposure(x, maps[:, :1] * scale, target, stages)
            for seed, (h, w) in enumerate([(96, 128), (128, 40), (300, 200)])
            for x, maps, _ in [small_copy(h, w, seed)]
            for scale in (0.3, 1.0)
            for target in (0.3, 0.5)
            for stages in (USUAL, Stages(True, False))
        ]
    assert chosen["1"] == chosen["0"]
    assert len(set(chosen["1"])) > 4  # strengths across the range, not one value
