import itertools

import numpy as np
import pytest
import torch

from zdce_core import curves
from zdce_core.curves import apply_curves, curve_schedule, iterate_curves_, iteration_map


def reference_forward(x: torch.Tensor, maps: torch.Tensor) -> torch.Tensor:
    """The reference Zero-DCE forward pass, written out: 8 × x + r·(x² − x)."""
    r = torch.split(maps, 3, dim=1) if maps.shape[1] == 24 else [maps] * 8
    for ri in r:
        x = x + ri * (torch.pow(x, 2) - x)
    return x


@pytest.fixture
def data() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    return torch.rand(2, 3, 9, 11, generator=g), torch.rand(2, 24, 9, 11, generator=g) * 2 - 1


def test_full_strength_is_the_reference_forward_pass(data):
    x, maps = data
    assert torch.equal(apply_curves(x, maps, 8.0), reference_forward(x, maps))


def test_shared_map_is_used_for_every_iteration(data):
    x, maps = data
    shared = maps[:, :3]
    assert torch.equal(apply_curves(x, shared, 8.0), reference_forward(x, shared))


def test_strength_zero_is_identity(data):
    x, maps = data
    assert torch.equal(apply_curves(x, maps, 0.0), x)


def test_fractional_strength_scales_the_next_map(data):
    x, maps = data
    y = x
    for i in range(3):
        a = maps[:, 3 * i : 3 * i + 3]
        y = y + a * (y * y - y)
    a = maps[:, 9:12] * 0.25
    y = y + a * (y * y - y)
    torch.testing.assert_close(apply_curves(x, maps, 3.25), y)


def test_brightening_maps_are_monotonic_in_strength(data):
    x, _ = data
    maps = torch.full((2, 24, 9, 11), -0.7)
    means = [float(apply_curves(x, maps, s).mean()) for s in np.arange(0, 8.01, 0.5)]
    assert all(b > a for a, b in itertools.pairwise(means))


def test_output_stays_in_unit_range(data):
    x, maps = data
    y = apply_curves(x, torch.sign(maps), 8.0)
    assert float(y.min()) >= 0.0 and float(y.max()) <= 1.0


@pytest.mark.parametrize("bad", [-0.1, 8.01, float("nan")])
def test_strength_out_of_range_is_refused(data, bad):
    x, maps = data
    with pytest.raises(ValueError, match="strength"):
        apply_curves(x, maps, bad)


def test_schedule():
    assert curve_schedule(2.5) == [(0, 1.0), (1, 1.0), (2, 0.5)]
    assert curve_schedule(8.0) == [(i, 1.0) for i in range(8)]
    assert curve_schedule(0.0) == []


def test_maps_of_wrong_shape_are_refused(data):
    x, maps = data
    with pytest.raises(ValueError, match="do not fit"):
        apply_curves(x, maps[:, :6], 8.0)


@pytest.mark.parametrize("strength", [8.0, 5.37, 0.4])
@pytest.mark.parametrize("chunk", [1, 11 * 3, 1 << 20])  # a row, a few rows, the whole
def test_curves_in_chunks_of_rows_equal_the_curves(data, strength, chunk, monkeypatch):
    """The renderer's in-place iteration, chunk of rows by chunk of rows, gives what
    apply_curves gives, with a map per iteration and with one map shared."""
    monkeypatch.setattr(curves, "CHUNK_ELEMENTS", chunk)
    x, maps = data
    x, maps = x[:1], maps[:1]
    schedule = curve_schedule(strength)
    for m in (maps, maps[:, :3]):
        steps = [iteration_map(m, i) for i, _ in schedule]
        got = iterate_curves_(x.clone(), steps, schedule)
        assert torch.allclose(got, apply_curves(x, m, strength), atol=1e-6)
