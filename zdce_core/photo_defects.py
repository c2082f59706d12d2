"""What bothers a photographer in a result, as numbers: lit subjects blown toward white,
night skies lifted into grey, neutral greys given a colour cast.

Counting only 254–255 as clipped misses a facade pushed to 245: it has no texture left.
These measures compare a result with its input pixel by pixel (same size, ``(H, W, 3)``
uint8/uint16); luma is Rec. 601 (``0.299 R + 0.587 G + 0.114 B``) in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zdce_core.bit_depth import eight_bit

NEAR_WHITE = 240 / 255
"""A luma at or above this has lost its texture to white."""
WAS_NOT_WHITE = 200 / 255
"""Near-white growth counts pixels whose input luma was below this."""
BLACK_BELOW = 0.04
BLACK_AREA = 0.15
"""Black lift is measured on photos with at least this share of pixels below ``BLACK_BELOW``
(a night sky)."""
NEUTRAL_SPREAD = 0.03
NEUTRAL_LUMA = (0.08, 0.6)
"""Neutral greys: input pixels whose channels differ by less than ``NEUTRAL_SPREAD`` with a
luma in this range (walls, pavements, clothes)."""


@dataclass(frozen=True)
class Defects:
    """``white_growth``: share of the pixels below 200/255 that end at 240/255 or more;
    ``black_lift``: mean result luma of the input's near-black pixels (``None`` when they
    cover under 15 %); ``grey_cast``: mean ``|R − G| + |(R + G)/2 − B|`` (8-bit levels) of
    the result where the input was a neutral grey (``None`` when there is none)."""

    white_growth: float
    black_lift: float | None
    grey_cast: float | None


def _unit(pixels: np.ndarray) -> np.ndarray:
    return eight_bit(pixels).astype(np.float32) / 255.0


def _luma(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114


def measure_defects(before: np.ndarray, after: np.ndarray, step: int = 1) -> Defects:
    """:class:`Defects` of ``after`` against its input ``before`` (same shape), judged on
    every ``step``-th pixel each way."""
    x, y = _unit(before[::step, ::step]), _unit(after[::step, ::step])
    lx, ly = _luma(x), _luma(y)
    white = float(np.mean((lx < WAS_NOT_WHITE) & (ly >= NEAR_WHITE)))
    black = lx < BLACK_BELOW
    lift = float(ly[black].mean()) if black.mean() >= BLACK_AREA else None
    spread = x.max(axis=2) - x.min(axis=2)
    neutral = (spread < NEUTRAL_SPREAD) & (lx > NEUTRAL_LUMA[0]) & (lx < NEUTRAL_LUMA[1])
    cast = None
    if neutral.any():
        r, g, b = y[..., 0][neutral], y[..., 1][neutral], y[..., 2][neutral]
        cast = float((np.abs(r - g).mean() + np.abs((r + g) / 2 - b).mean()) * 255)
    return Defects(white, lift, cast)


def defects_text(d: Defects) -> str:
    """``"near-white +1.20 %, black lift 0.09, grey cast 8.1"`` (parts that apply)."""
    parts = [f"near-white +{100 * d.white_growth:.2f}%"]
    if d.black_lift is not None:
        parts.append(f"black lift {d.black_lift:.2f}")
    if d.grey_cast is not None:
        parts.append(f"grey cast {d.grey_cast:.1f}")
    return ", ".join(parts)
