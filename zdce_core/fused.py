"""The usual CPU render of a strip, as the functions the compiled kernels
:data:`zdce_core.kernels.STRIP_TAIL` and ``STRIP_TAIL_16`` are traced from.

Eager torch renders a strip in about a hundred operations, each a pass over the strip in
memory. :data:`strip_tail` — the smoothed luma, the eight curve iterations, the scene-aware
stages with highlight protection (:func:`zdce_core.tone.finish`) and the conversion to 8
bits (:data:`strip_tail_16`: to 16) — compiled (:mod:`zdce_core.kernels`) runs those stages
in a few loops over the strip, in the core's cache. Where it does not apply — see
:mod:`zdce_core.kernels`, and a GPU, the model's per-channel curves, maps per iteration
(DCE-Net), no highlight protection — the same stages run eagerly; both agree within one
level.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from zdce_core.tone import Stages, curve_input, finish, smoothed_luma

ITERATIONS = 8
MAX_COLUMNS = 1 << 17
"""The widest strip the kernel is built for (131 072 pixels); wider photos render eagerly."""


def _rendered(
    x: torch.Tensor,
    luma_coefficients: torch.Tensor,
    curve_map: torch.Tensor,
    scales: torch.Tensor,
    whites: torch.Tensor,
    raised: torch.Tensor,
) -> torch.Tensor:
    """A strip rendered, ``(1, 3, h, w)`` float32 in [0, 1], from ``x`` ``(1, 3, h, w)``
    float32 in [0, 1] (denoised, its cast corrected), the luma guide's full-size
    coefficients ``(1, 2, h, w)`` (:func:`zdce_core.tone.smoothed_luma`), the neutral curve
    map shared by the iterations ``(1, 1, h, w)`` in [−1, 1] and ``scales`` ``(8,)``: each
    iteration's map scale (1 for a full iteration, the fraction of the last one, 0 for those
    beyond the strength: :func:`zdce_core.curves.curve_schedule`) and ``whites`` ``(4,)``:
    the photo's white point (:func:`zdce_core.white_point.white_terms`; of ``UNCHANGED_WHITES`` to
    leave it) and ``raised`` ``(1,)``: how far the shoulder is raised
    (:func:`zdce_core.tone.shoulder_room`, 0 to leave it)."""
    smooth = smoothed_luma(x, luma_coefficients)
    curved = curve_input(x, smooth)
    for i in range(ITERATIONS):  # as zdce_core.curves.iterate_curves_; a 0 scale keeps x
        # c + w·(c² − c) reads the weight once (a lerp reads it three times, and the
        # kernel then stored every iteration's scaled map in memory)
        curved.addcmul_(curved * curved - curved, curve_map * scales[i])
    return finish(x, curved, smooth, Stages(scene_aware=True, protect=True), whites, raised)


def _in_levels(top: float, dtype: torch.dtype) -> Callable[..., torch.Tensor]:
    """:func:`_rendered` of the same arguments as levels ``(1, h, w, 3)`` (rows of pixels)
    from 0 to ``top``, rounded as the eager render rounds, of ``dtype``."""

    def levels(
        x: torch.Tensor,
        luma_coefficients: torch.Tensor,
        curve_map: torch.Tensor,
        scales: torch.Tensor,
        whites: torch.Tensor,
        raised: torch.Tensor,
    ) -> torch.Tensor:
        y = _rendered(x, luma_coefficients, curve_map, scales, whites, raised)
        return y.mul_(top).add_(0.5).clamp_(0.0, top).permute(0, 2, 3, 1).to(dtype)

    return levels


strip_tail = _in_levels(255.0, torch.uint8)
"""A strip of an 8-bit photo: uint8 levels ``(1, h, w, 3)`` (:func:`_in_levels`)."""
strip_tail_16 = _in_levels(65535.0, torch.int32)
"""A strip of a 16-bit photo: levels 0–65535 ``(1, h, w, 3)`` as int32, to be stored as
uint16 (:func:`_in_levels`)."""


def shared_map(steps: list[torch.Tensor]) -> torch.Tensor | None:
    """The one neutral map ``(1, 1, h, w)`` every curve iteration of ``steps`` uses (DCE-Net++),
    or ``None``: no iteration, a map per iteration (DCE-Net) or per channel."""
    if not steps or steps[0].shape[1] != 1 or any(a is not steps[0] for a in steps):
        return None
    return steps[0]
