"""Luma and the smooth ramps the tone stages are built from (:mod:`zdce_core.tone`,
:mod:`zdce_core.white_point`). Tensors are float32, values in [0, 1] unless stated."""

from __future__ import annotations

import torch

LUMA = (0.299, 0.587, 0.114)


def luma(x: torch.Tensor) -> torch.Tensor:
    """``(B, 1, H, W)`` luma (Rec. 601 weights) of ``(B, 3·k, H, W)``: of the first three
    channels when ``k = 1``, of each group of three otherwise (curve maps)."""
    groups = x.shape[1] // 3
    if groups == 1:  # two in-place adds: a third of the time of a sum of three products
        r, g, b = x[:, 0:1], x[:, 1:2], x[:, 2:3]
        return (r * LUMA[0]).add_(g, alpha=LUMA[1]).add_(b, alpha=LUMA[2])
    parts = x.unflatten(1, (groups, 3))
    return (parts * parts.new_tensor(LUMA).view(1, 1, 3, 1, 1)).sum(2)


def smoothstep(t: torch.Tensor) -> torch.Tensor:
    """``3t² − 2t³`` of ``t`` clamped to [0, 1] (a new tensor)."""
    return smoothstep_(t.clamp(0.0, 1.0))


def smoothstep_(t: torch.Tensor) -> torch.Tensor:
    """:func:`smoothstep` of ``t`` already in [0, 1], in place (fewer allocations: on CPUs
    each large temporary is a fresh mapping of memory)."""
    square = t * t
    return t.mul_(-2.0).add_(3.0).mul_(square)


def ramp(value: torch.Tensor, start: float, end: float) -> torch.Tensor:
    """0 below ``start``, 1 above ``end``, :func:`smoothstep` between (a new tensor)."""
    return smoothstep_(value.sub(start).mul_(1.0 / (end - start)).clamp_(0.0, 1.0))
