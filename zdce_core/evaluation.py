"""Evaluating a model on a folder of photos: zero-reference losses and output statistics.

The numbers a user needs to compare models and settings on their own photos: the four
losses of the model's own full-strength output (reference weights for its architecture) and,
of the result with the user's adjustments (auto exposure, highlight protection, denoise),
the mean brightness, the clipped pixels and the colour cast before and after, the
lightness-order error, the strength chosen and the defects a photographer sees (near-white
growth, black lift, cast on neutral greys). Photos are evaluated on a copy whose long side
is at most ``size`` pixels (``EVALUATION_SIZE``, 512: twice the estimation copy's).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments
from zdce_core.curves import MAX_STRENGTH, apply_curves
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import ImageReadError, read_image
from zdce_core.losses import LossParts, LossWeights, ZeroReferenceLoss
from zdce_core.photo_defects import Defects, measure_defects
from zdce_core.pipeline import reduced_for, render_adjusted
from zdce_core.pixels import reduced_copy, to_unit_float
from zdce_core.tone import CLIP_LEVEL

THUMBNAIL = 320

EVALUATION_SIZE = 512
"""Long side in pixels of the copy a photo is evaluated on."""


@dataclass(frozen=True)
class ImageScore:
    """One photo: losses (weighted) and statistics of input and output, values in [0, 1].

    ``cast``: largest difference between channel means over the mean intensity (of the
    output; ``input_cast`` of the photo itself, since scenes have colours of their own).
    ``defects``: near-white growth, black lift and cast on neutral greys
    (:func:`~zdce_core.photo_defects.measure_defects`).
    """

    path: Path
    losses: LossParts
    input_brightness: float
    brightness: float
    clipped: float
    cast: float
    input_cast: float
    input_clipped: float
    loe: float
    strength: float
    auto: bool
    defects: Defects


@dataclass(frozen=True)
class ModelReport:
    """Per-image scores of one model and failures (path, reason)."""

    model: str
    scores: list[ImageScore]
    failures: list[tuple[Path, str]]
    thumbnails: dict[Path, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    """Per path: input and result ``(h, w, 3)`` uint8, long side ``THUMBNAIL``, if asked."""

    def mean(self, field: str) -> float:
        if field in LossParts.__dataclass_fields__:
            return float(np.mean([getattr(s.losses, field) for s in self.scores]))
        return float(np.mean([getattr(s, field) for s in self.scores]))

    def max(self, field: str) -> float:
        return float(np.max([getattr(s, field) for s in self.scores]))

    def mean_defect(self, field: str) -> float | None:
        """The mean of one of :class:`~zdce_core.photo_defects.Defects`' fields over the
        photos it applies to (``None`` when none)."""
        values = [getattr(s.defects, field) for s in self.scores]
        present = [v for v in values if v is not None]
        return float(np.mean(present)) if present else None


def output_stats(enhanced: torch.Tensor) -> tuple[float, float, float]:
    """``(mean brightness, clipped fraction, colour cast)`` of ``(1, 3, H, W)`` in [0, 1]."""
    brightness = float(enhanced.mean())
    clipped = float((enhanced.amax(1) >= CLIP_LEVEL).float().mean())
    channel_means = enhanced.mean((0, 2, 3))
    cast = float((channel_means.max() - channel_means.min()) / max(brightness, 1e-6))
    return brightness, clipped, cast


LOE_SHORT_SIDE = 100


def lightness_order_error(before: np.ndarray, after: np.ndarray) -> float:
    """Lightness-order error (Wang et al., IEEE TIP 2013) of ``after`` against ``before``.

    Both ``(H, W, 3)`` uint8. Lightness ``L = max(R, G, B)`` of each, resized (antialiased
    bicubic) so the short side is ``LOE_SHORT_SIDE`` px; for every ordered pixel pair, count
    whether ``L(x) ≥ L(y)`` differs between the two; divided by the number of pixels. 0 for
    an unchanged image, larger when the result reorders light and dark.
    """
    h, w = before.shape[:2]
    scale = LOE_SHORT_SIDE / min(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))

    def lightness(img: np.ndarray) -> torch.Tensor:
        small = Image.fromarray(img.max(axis=2)).resize(
            size, Image.Resampling.BICUBIC, reducing_gap=None
        )
        return torch.from_numpy(np.asarray(small, dtype=np.float32).ravel())

    a, b = lightness(before), lightness(after)
    flips = 0
    for s0 in range(0, a.numel(), 2048):
        flips += int(((a[s0 : s0 + 2048, None] >= a) ^ (b[s0 : s0 + 2048, None] >= b)).sum())
    return flips / a.numel()


def _thumbnail(pixels: np.ndarray) -> np.ndarray:
    return reduced_copy(pixels, THUMBNAIL)


def score_image(
    enhancer: Enhancer,
    criterion: ZeroReferenceLoss,
    path: Path,
    size: int,
    adjustments: Adjustments,
) -> tuple[ImageScore, np.ndarray, np.ndarray]:
    """Score ``path`` (at most ``size`` px long): the model's losses at full strength and
    the statistics of the result with ``adjustments``. Returns the score and the 8-bit
    copy and result it was measured on."""
    small = reduced_copy(read_image(path).pixels, size)  # 8-bit, as the photo metrics
    estimate = enhancer.estimate_downscaled(small)
    assert estimate.source is not None  # estimate_downscaled keeps its input
    x = estimate.source.float().cpu()
    maps = estimate.small.float().cpu()
    with torch.no_grad():
        _, parts = criterion(x, apply_curves(x, maps, MAX_STRENGTH), maps)
    reduced = reduced_for(small, adjustments)
    result = render_adjusted(enhancer, small, estimate, adjustments, reduced)
    out = to_unit_float(result.pixels, torch.device("cpu"), torch.contiguous_format)
    brightness, clipped, cast = output_stats(out)
    input_brightness, input_clipped, input_cast = output_stats(
        to_unit_float(small, torch.device("cpu"), torch.contiguous_format)
    )
    score = ImageScore(
        path,
        parts,
        input_brightness,
        brightness,
        clipped,
        cast,
        input_cast,
        input_clipped,
        lightness_order_error(small, result.pixels),
        result.strength,
        result.auto,
        measure_defects(small, result.pixels),
    )
    return score, small, result.pixels


def evaluate(
    enhancer: Enhancer,
    files: Sequence[Path],
    exposure_target: float = 0.6,
    size: int = EVALUATION_SIZE,
    on_image: Callable[[int, int], None] | None = None,
    adjustments: Adjustments = DEFAULT_ADJUSTMENTS,
    thumbnails: bool = False,
) -> ModelReport:
    """Score every file with the enhancer's model and ``adjustments``; unreadable files are
    listed as failures. ``thumbnails``: keep small before/after copies (contact sheets)."""
    weights = LossWeights.for_arch(enhancer.model.arch)
    criterion = ZeroReferenceLoss(weights, exposure_target)
    scores, failures, thumbs = [], [], {}
    for i, path in enumerate(files):
        try:
            score, before, after = score_image(enhancer, criterion, path, size, adjustments)
        except ImageReadError as exc:
            failures.append((path, str(exc)))
        else:
            scores.append(score)
            if thumbnails:
                thumbs[path] = (_thumbnail(before), _thumbnail(after))
        if on_image:
            on_image(i + 1, len(files))
    name = enhancer.model.path.name if enhancer.model.path else enhancer.model.arch
    return ModelReport(name, scores, failures, thumbs)
