"""The white point: a retoucher's "Whites +" for dim photos, a stage of the scene-aware
rendering (:mod:`zdce_core.tone`) with highlight protection, decided per photo.

The shoulder of the scene-aware rendering leaves dim photos without whites (a white dog
grey, a dim interior's brightest surfaces at 0.6–0.75): judges called them "milky", "flat",
"grey", and a retoucher's fix was Whites +30–50. The plan measures the brightest luma of
the rendered estimation copy (:func:`white_point`) and :func:`white_change` spreads the
tones above ``WHITES_FROM`` so it reaches part of the way to ``WHITES_TOP``: an increasing
curve of the luma, its change added to the three channels alike (a grey stays grey), no
channel pushed into clipping (a lamp keeps its colour), nothing under 0.45 (lifted blacks
keep their grain as it was).

Tensors are ``(1, C, H, W)`` float32 in [0, 1].
"""

from __future__ import annotations

import torch

from zdce_core.luma_ramps import luma, ramp, smoothstep_

WHITES_FROM, WHITES_TOP, WHITES_SHARE = 0.45, 0.93, 0.5
"""The white point's curve leaves a result's luma below ``WHITES_FROM`` as it is and takes
the photo's white level ``W`` (:func:`white_point`) to ``W + WHITES_SHARE·(WHITES_TOP − W)``;
photos whose ``W`` is within 0.02 of ``WHITES_TOP`` (or under ``WHITES_FROM + 0.1``: nothing
bright to spread) keep theirs."""
WHITES_STEEPEST = 0.5
"""The white point's lift is at most this × ``W − WHITES_FROM``: the curve's slope stays
under 1.75 (the grain of a white wall, a sky, is steepened as much)."""
WHITES_CAP = 0.985
"""No channel is brought above this by the white point (a lamp's colour stays)."""
UNCHANGED_WHITES = (WHITES_TOP, WHITES_TOP)
"""A white point :func:`white_change` leaves as it is (for the compiled kernels, which always
run the stage)."""
WHITES_LIFTED = (0.05, 0.15)
"""Luma lift over which the white point's change fades in: what the curves left about as
it was (a bright sky behind a backlit subject) stays."""


def white_point(rendered: torch.Tensor) -> tuple[float, float] | None:
    """The white point ``(W, W')`` for a photo whose estimation copy renders as ``rendered``
    ``(1, 3, h, w)`` in [0, 1]: its white level ``W`` (the copy's brightest luma) and where
    :func:`white_change` takes it; ``None`` when it stays (a lamp, a lit sign or a bright sky in
    the frame already makes a white). The copy averages the photo's pixels, so ``W`` is
    about the brightest 0.5 % of the photo's own result (on the dev photos 0.04 above it on
    average, 0.08 apart either way); a brighter detail is not flattened
    (:func:`white_change`'s slope is 1 there)."""
    level = float(luma(rendered).amax())
    if not WHITES_FROM + 0.1 < level < WHITES_TOP - 0.02:
        return None
    lift = min(
        WHITES_SHARE * (WHITES_TOP - level),
        WHITES_STEEPEST * (level - WHITES_FROM),  # grain is amplified by the slope
        (1.0 - level) / 2.0,  # the curve keeps rising up to white
    )
    return level, level + lift


def white_terms(whites: tuple[float, float], device: torch.device | None = None) -> torch.Tensor:
    """The white point ``(W, W')`` as :func:`white_change` takes it: ``(4,)`` ``W``, ``W' − W``
    and the reciprocals of ``W − WHITES_FROM`` and ``1 − W`` (multiplications per pixel
    instead of divisions)."""
    level, target = whites
    terms = (level, target - level, 1.0 / (level - WHITES_FROM), 1.0 / (1.0 - level))
    return torch.tensor(terms, device=device)


def white_change(
    lum: torch.Tensor, gained: torch.Tensor, top: torch.Tensor, whites: torch.Tensor
) -> torch.Tensor:
    """``(1, 1, H, W)``: what the white point adds to the three channels of a result whose
    luma is ``lum``, lifted by ``gained`` (luma over the input's) and whose brightest
    channel is ``top`` (each ``(1, 1, H, W)``; taken before vibrance, which keeps the
    brightest channel, so the cap below holds after it). The luma is raised by
    ``Δ = W' − W`` times a smoothstep from ``WHITES_FROM`` to ``W`` (so no kink), then by
    ``Δ·(1 − u²)`` above ``W`` (``u``: where it lies between ``W`` and 1): the slope is 1 at
    ``W`` (the texture of the brightest surfaces is not flattened) and falls to
    ``1 − 2Δ/(1 − W) ≥ 0`` at white, so the curve increases, never lowers the luma and
    leaves 1 at 1 (nothing changes under ``WHITES_FROM``: lifted blacks keep their grain as
    it was). No channel is brought above ``WHITES_CAP``; the change fades in by the lift
    (``WHITES_LIFTED``). ``whites``: :func:`white_terms`; ``W' = W`` adds nothing."""
    level, lift, to_level, to_white = whites[0], whites[1], whites[2], whites[3]
    rise = smoothstep_(lum.sub(WHITES_FROM).mul_(to_level).clamp_(0.0, 1.0))
    over = lum.sub(level).mul_(to_white).clamp_(0.0, 1.0)
    change = rise.sub_(over.mul_(over)).mul_(lift).mul_(ramp(gained, *WHITES_LIFTED))
    return torch.minimum(change, torch.rsub(top, WHITES_CAP).clamp_(min=0.0))
