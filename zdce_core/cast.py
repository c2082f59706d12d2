"""Partial white balance for extreme colour casts (sodium street lamps, tungsten-lit fog).

The scene-aware rendering lifts the three channels alike, so a photo's colour balance is
kept: right for a warm lamp-lit street, wrong for a street under sodium lamps, whose red
channel averages 3–4 × its green and blue a third of it — lifted as it is, the whole photo
turns deep orange-red (blind judges named that cast on every panel that showed it). Such a
cast is measured on the photo's reduced copy as the log-ratio of each channel's mean to the
green mean (grey world); only the part beyond ``CAST_FROM`` counts, and ``CAST_SHARE`` of it
is taken out, so a moderate warm or blue mood (ratios up to 1.5) is left as it is. Of the
41 dev photos two are corrected noticeably: under sodium lamps red ÷ green 3.6 and
blue ÷ green 0.29 become 2.2 and 0.46 before the lift; in orange fog 1.7 and 0.31 become
1.6 and 0.50.

The correction is a curve per channel, ``1 − (1 − v)^g``: a gain of about ``g`` in the
shadows, none at white, so whites stay white and nothing clips. The three exponents are
normalised so that their luma-weighted log-average is 0 (the photo's brightness stays).
A red or blue channel the correction raises stops at the pixel's green: what the cast's
light does not reach (the dark edge of a lamp-lit fog, a white street light far off) is
not turned purple or blue — judges named "purple corners" and "a blue blob" there.
It goes with the lift: the exponents are taken to the power ``strength / 8``
(:func:`scaled`), so a photo rendered at strength 0 (already bright enough: a red-lit stage,
a sunset) is left exactly as it was, colours included, and a night photo lifted in full
gets the whole correction. It runs after denoising and before the curves, on the strips and
on the small copy auto exposure judges alike (:mod:`zdce_core.render_plan`).
"""

from __future__ import annotations

import math

import torch

from zdce_core.luma_ramps import LUMA

CAST_FROM = 0.4
"""Log-ratio of a channel's mean to the green mean (|ln| of 1.5) beyond which it is a cast."""
CAST_SHARE = 0.7
"""Share of the log-ratio beyond ``CAST_FROM`` that is taken out."""
CAST_LIMIT = 1.0
"""At most this much (in log: a gain of 2.7) is taken out of or added to a channel, so a
photo with almost nothing in one channel (a deep red stage light) does not get that
channel's noise lifted into a colour of its own."""

CastGains = tuple[float, float, float]
"""Exponents ``g`` of the red, green and blue curves ``1 − (1 − v)^g``."""


def cast_gains(reduced: torch.Tensor) -> CastGains | None:
    """The correction for the photo whose reduced copy is ``reduced`` ``(1, 3, h, w)`` in
    [0, 1]; ``None`` when no channel's mean is beyond ``CAST_FROM`` of the green mean (or
    the photo is black)."""
    means = reduced.float().mean(dim=(0, 2, 3)).tolist()
    if min(means) <= 1e-4:
        return None
    logs = [math.log(m / means[1]) for m in means]
    excess = [math.copysign(max(abs(v) - CAST_FROM, 0.0), v) for v in logs]
    if not any(excess):
        return None
    shift = [min(max(-CAST_SHARE * e, -CAST_LIMIT), CAST_LIMIT) for e in excess]
    level = sum(w * s for w, s in zip(LUMA, shift, strict=True))
    red, green, blue = (math.exp(s - level) for s in shift)
    return red, green, blue


def scaled(gains: CastGains | None, share: float) -> CastGains | None:
    """``gains`` taken to the power ``share`` in [0, 1] (a part of the correction, in log);
    ``None`` when there is nothing left to correct."""
    if gains is None or share <= 0.0:
        return None
    red, green, blue = (g**share for g in gains)
    return red, green, blue


def correct_cast_(x: torch.Tensor, gains: CastGains) -> torch.Tensor:
    """``x`` ``(1, 3, H, W)`` in [0, 1] with channel ``c`` mapped to ``1 − (1 − v)^gains[c]``,
    in place; returns ``x``. A red or blue channel the correction raises is not raised past
    the pixel's corrected green (nor at all where it was above it already): a part of the
    photo the cast's light does not reach (the dark edge of a lamp-lit fog, a white-lit
    window on a sodium-lit street) has no cast to take out, and would turn purple."""
    exponents = x.new_tensor(gains).view(1, 3, 1, 1)
    raised = [(c, x[:, c : c + 1].clone()) for c in (0, 2) if gains[c] > 1.0]
    # exp(g·ln(1 − v)) is 4× faster than pow_ on CPUs; ln 0 = −inf gives 0 as pow does
    x = x.neg_().add_(1.0).log_().mul_(exponents).exp_().neg_().add_(1.0)
    for c, before in raised:
        x[:, c : c + 1] = torch.minimum(x[:, c : c + 1], torch.maximum(x[:, 1:2], before))
    return x


def corrected(x: torch.Tensor, gains: CastGains | None) -> torch.Tensor:
    """A corrected copy of ``x`` (``x`` itself when ``gains`` is ``None``)."""
    return x if gains is None else correct_cast_(x.clone(), gains)
