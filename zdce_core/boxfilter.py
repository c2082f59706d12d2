"""Box (moving-average) filters of any radius at a constant cost per pixel, from running
sums. Torch's ``avg_pool2d`` with stride 1 costs a multiply-add per window element and is
slow on CPUs for the window sizes used here (5–15 px)."""

from __future__ import annotations

import torch


def window_sum(t: torch.Tensor, dim: int, radius: int) -> torch.Tensor:
    """Sum over ``2·radius + 1`` neighbours along ``dim`` of ``t`` (zeros beyond the border)."""
    n = t.shape[dim]
    shape = list(t.shape)
    shape[dim] = 1
    running = torch.cat([t.new_zeros(shape), t.cumsum(dim)], dim=dim)
    index = torch.arange(n, device=t.device)
    upper = (index + radius + 1).clamp_(max=n)
    lower = (index - radius).clamp_(min=0)
    return running.index_select(dim, upper) - running.index_select(dim, lower)


def box_mean(t: torch.Tensor, radius: int) -> torch.Tensor:
    """Mean of ``t`` ``(B, C, H, W)`` over ``(2·radius + 1)²`` windows; windows at the border
    average only the pixels inside the image."""
    ones = t.new_ones((1, 1, t.shape[2], t.shape[3]))
    counts = window_sum(window_sum(ones, 2, radius), 3, radius)
    return window_sum(window_sum(t, 2, radius), 3, radius).div_(counts)
