"""What a user chooses about the look of a result, beside the model: strength (or auto
exposure), the brightness auto exposure aims at, highlight protection and denoising."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

MAX_STRENGTH = 8.0
"""All 8 curve iterations: the model's full effect."""

DEFAULT_ESTIMATE_SIZE = 256
"""Long side in pixels of the copy the curve maps are estimated on. 512 and 256 score the
same on the dev photos (NIQE 12.39, LOE 599, brightness 0.481 both) and 256, the scale
the default model was trained at (whole scenes at 256²), costs a quarter of the network
time."""
DEFAULT_TARGET_BRIGHTNESS = 0.5
"""Brightness (0–1) auto exposure aims at for a dark photo: the log-average luma of its
content reaches it (the mean RGB value without the scene-aware rendering)."""


class Denoise(Enum):
    """How strongly noise in lifted shadows is smoothed (see :mod:`zdce_core.denoise`)."""

    OFF = "off"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class Adjustments:
    """``strength``: curve iterations in [0, 8], or ``None`` for auto exposure (chosen per
    photo, see :func:`zdce_core.exposure.choose_exposure`). ``target_brightness``: the
    brightness in (0, 1) auto exposure aims at. ``protect_highlights``: what is already bright is
    left as it is and no channel that was not nearly white is pushed into white.
    ``scene_aware``: the stages of :mod:`zdce_core.tone` (neutral curves, clean blacks,
    texture in lit regions) and auto exposure by the key of the content; off, the model's
    per-channel curves as they are and auto exposure by the mean. ``correct_cast``: with
    the scene-aware rendering, an extreme colour cast of the light (sodium street lamps) is
    partly corrected (:mod:`zdce_core.cast`); off, every colour is kept as shot."""

    strength: float | None = None
    target_brightness: float = DEFAULT_TARGET_BRIGHTNESS
    protect_highlights: bool = True
    denoise: Denoise = Denoise.LOW
    scene_aware: bool = True
    correct_cast: bool = True

    def __post_init__(self) -> None:
        if self.strength is not None and (
            math.isnan(self.strength) or not 0.0 <= self.strength <= MAX_STRENGTH
        ):
            raise ValueError(f"strength must be between 0 and 8, got {self.strength}")
        if not 0.05 <= self.target_brightness <= 0.95:
            raise ValueError(
                f"target brightness must be between 0.05 and 0.95, got {self.target_brightness}"
            )

    @property
    def auto(self) -> bool:
        return self.strength is None


DEFAULT_ADJUSTMENTS = Adjustments()
"""Scene-aware auto exposure and rendering, highlights protected, low denoise: what a user
gets unless they choose."""

FIXED_FULL = Adjustments(
    strength=MAX_STRENGTH, protect_highlights=False, denoise=Denoise.OFF, scene_aware=False
)
"""The plain Zero-DCE result: all 8 iterations, nothing else (the reference forward pass)."""


def strength_label(strength: float, auto: bool) -> str:
    """How a strength is shown to users: ``"auto 5.3"`` or ``"6.0"``."""
    return f"auto {strength:.1f}" if auto else f"{strength:.1f}"
