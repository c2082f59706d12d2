"""Evaluating a model on a folder of photos: zero-reference losses and output statistics.

The numbers a user needs to compare models on their own photos: the four losses (reference
weights for the model's architecture) and, of the enhanced result, the mean brightness, the
fraction of clipped pixels and the colour cast. Photos are evaluated on a copy whose long side
is at most ``size`` pixels, the resolution the curves are estimated at anyway.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from zdce_core.curves import apply_curves
from zdce_core.enhancer import DEFAULT_ESTIMATE_SIZE, Enhancer, reduced_copy, to_unit_float
from zdce_core.image_io import ImageReadError, read_image
from zdce_core.losses import LossParts, LossWeights, ZeroReferenceLoss

CLIP_LEVEL = 254.5 / 255.0
"""A pixel is clipped when any channel reaches this (255 in 8 bits)."""


@dataclass(frozen=True)
class ImageScore:
    """One photo: losses (weighted) and statistics of input and output, values in [0, 1].

    ``cast``: largest difference between channel means over the mean intensity (of the
    output; ``input_cast`` of the photo itself, since scenes have colours of their own).
    """

    path: Path
    losses: LossParts
    input_brightness: float
    brightness: float
    clipped: float
    cast: float
    input_cast: float


@dataclass(frozen=True)
class ModelReport:
    """Per-image scores of one model and failures (path, reason)."""

    model: str
    scores: list[ImageScore]
    failures: list[tuple[Path, str]]

    def mean(self, field: str) -> float:
        if field in LossParts.__dataclass_fields__:
            return float(np.mean([getattr(s.losses, field) for s in self.scores]))
        return float(np.mean([getattr(s, field) for s in self.scores]))

    def max(self, field: str) -> float:
        return float(np.max([getattr(s, field) for s in self.scores]))


def output_stats(enhanced: torch.Tensor) -> tuple[float, float, float]:
    """``(mean brightness, clipped fraction, colour cast)`` of ``(1, 3, H, W)`` in [0, 1]."""
    brightness = float(enhanced.mean())
    clipped = float((enhanced.amax(1) >= CLIP_LEVEL).float().mean())
    channel_means = enhanced.mean((0, 2, 3))
    cast = float((channel_means.max() - channel_means.min()) / max(brightness, 1e-6))
    return brightness, clipped, cast


def score_image(
    enhancer: Enhancer, criterion: ZeroReferenceLoss, path: Path, size: int
) -> ImageScore:
    """Enhance ``path`` at full strength (at most ``size`` px long) and score it."""
    small = reduced_copy(read_image(path).pixels, size)
    x = to_unit_float(small, torch.device("cpu"), torch.contiguous_format)
    maps = enhancer.run_net(x).cpu()
    with torch.no_grad():
        enhanced = apply_curves(x, maps, 8.0)
        _, parts = criterion(x, enhanced, maps)
    brightness, clipped, cast = output_stats(enhanced)
    input_brightness, _, input_cast = output_stats(x)
    return ImageScore(path, parts, input_brightness, brightness, clipped, cast, input_cast)


def evaluate(
    enhancer: Enhancer,
    files: Sequence[Path],
    exposure_target: float = 0.6,
    size: int = DEFAULT_ESTIMATE_SIZE,
    on_image: Callable[[int, int], None] | None = None,
) -> ModelReport:
    """Score every file with the enhancer's model; unreadable files are listed as failures."""
    weights = LossWeights.for_arch(enhancer.model.arch)
    criterion = ZeroReferenceLoss(weights, exposure_target)
    scores, failures = [], []
    for i, path in enumerate(files):
        try:
            scores.append(score_image(enhancer, criterion, path, size))
        except ImageReadError as exc:
            failures.append((path, str(exc)))
        if on_image:
            on_image(i + 1, len(files))
    name = enhancer.model.path.name if enhancer.model.path else enhancer.model.arch
    return ModelReport(name, scores, failures)
