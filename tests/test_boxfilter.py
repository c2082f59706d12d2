import pytest
import torch

from zdce_core.boxfilter import box_mean, window_sum


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("radius", [0, 1, 4, 40])
def test_window_sum_matches_a_direct_sum(dim, radius):
    t = torch.rand(1, 2, 23, 31, dtype=torch.float64)
    n = t.shape[dim]
    direct = torch.stack(
        [
            t.narrow(dim, max(0, i - radius), min(n, i + radius + 1) - max(0, i - radius)).sum(dim)
            for i in range(n)
        ],
        dim=dim,
    )
    assert torch.allclose(window_sum(t, dim, radius), direct)


def test_box_mean_of_a_constant_is_the_constant_up_to_the_border():
    t = torch.full((1, 3, 20, 30), 0.25)
    assert torch.allclose(box_mean(t, 3), t)
