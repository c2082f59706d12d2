"""Box (moving-average) filters of any radius at a constant cost per pixel, from running
sums. Torch's ``avg_pool2d`` with stride 1 costs a multiply-add per window element and is
slow on CPUs for the window sizes used here (5–15 px)."""

from __future__ import annotations

import torch


def window_sum(t: torch.Tensor, dim: int, radius: int) -> torch.Tensor:
    """Sum over ``2·radius + 1`` neighbours along ``dim`` of ``t`` (zeros beyond the border).

    From the running sum ``R`` (with a leading 0) padded by ``radius`` copies of its first
    and last value: the window of position ``i`` is ``P[i + 2·radius + 1] − P[i]``, two
    slices (a gather along the last dimension is slow on CPUs).
    """
    n = t.shape[dim]
    shape = list(t.shape)
    shape[dim] = 1
    running = t.cumsum(dim)
    last = running.narrow(dim, n - 1, 1)
    shape[dim] = radius + 1
    head = t.new_zeros(shape)
    shape[dim] = radius
    padded = torch.cat([head, running, last.expand(shape)], dim=dim)
    return padded.narrow(dim, 2 * radius + 1, n) - padded.narrow(dim, 0, n)


def box_mean(t: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean of ``t`` ``(B, C, H, W)`` over ``(2·radius + 1)²`` windows; windows at the border
    average only the pixels inside the image."""
    ones = t.new_ones((1, 1, t.shape[2], t.shape[3]))
    counts = window_sum(window_sum(ones, 2, radius), 3, radius)
    return window_sum(window_sum(t, 2, radius), 3, radius).div_(counts)
