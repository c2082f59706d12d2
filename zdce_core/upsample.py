"""Bilinear upsampling of small maps to full resolution, a strip of rows at a time.

Curve maps and denoise coefficients are estimated on small copies; rendering needs them at
full size for a few rows at a time. Upsampling the rows first (a gather and a lerp) and then
the columns (1-D linear interpolation) gives exactly ``F.interpolate(..., mode="bilinear",
align_corners=False)`` of the whole map, restricted to those rows, with bounded memory.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def upsample_rows(small: torch.Tensor, height: int, r0: int, r1: int) -> torch.Tensor:
    """Rows [r0, r1) of ``small`` ``(1, C, h, w)`` upsampled bilinearly (align_corners=False)
    to ``height`` rows: ``(1, C, r1 − r0, w)``, still ``w`` wide (see :func:`widen`).
    ``small`` already ``height`` rows tall (a loupe's guides): its rows, a view (callers
    only read what these functions return)."""
    hs = small.shape[2]
    if hs == height:
        return small[:, :, r0:r1]
    rows = torch.arange(r0, r1, dtype=torch.float64)
    src = ((rows + 0.5) * (hs / height) - 0.5).clamp_(min=0.0)
    i0 = src.floor().long().clamp_(max=hs - 1)
    i1 = (i0 + 1).clamp_(max=hs - 1)
    weight = (src - i0).float().to(small.device).view(1, 1, -1, 1)
    i0, i1 = i0.to(small.device), i1.to(small.device)
    return small.index_select(2, i0).lerp_(small.index_select(2, i1), weight)


def widen(rows: torch.Tensor, width: int) -> torch.Tensor:
    """``rows`` ``(1, C, h, w)`` interpolated linearly to ``width`` columns: with
    :func:`upsample_rows`, the two halves of bilinear upsampling. ``rows`` itself when
    already ``width`` wide."""
    _, c, h, w = rows.shape
    if w == width:
        return rows
    wide = F.interpolate(rows.reshape(1, c * h, w), size=width, mode="linear")
    return wide.view(1, c, h, width)
