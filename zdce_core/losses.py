"""The four zero-reference losses of Zero-DCE, as functions with thin ``nn.Module`` wrappers.

Images are ``(B, 3, H, W)`` in [0, 1]; curve maps ``(B, 3·k, H, W)`` in [-1, 1]. Each function
returns a scalar tensor (mean over the batch), differentiable in every float dtype.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

COLOR_EPS = 1e-8
"""Added under the colour loss's square root so its gradient stays finite on gray images."""


def spatial_consistency_loss(enhanced: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
    """Keep local contrast: differences between 4×4-averaged gray neighbours are preserved.

    Both images are reduced to their channel mean and average-pooled over 4×4 blocks; for each
    block the differences to its left, right, upper and lower neighbour (zero outside the
    image, as the reference code's zero-padded convolution) are compared, squared and summed.
    ``H`` and ``W`` should be multiples of 4.
    """
    diffs = []
    for img in (original, enhanced):
        pooled = F.avg_pool2d(img.mean(1, keepdim=True), 4)
        p = F.pad(pooled, (1, 1, 1, 1))
        center = p[..., 1:-1, 1:-1]
        diffs.append(
            torch.stack(
                [
                    center - p[..., 1:-1, :-2],
                    center - p[..., 1:-1, 2:],
                    center - p[..., :-2, 1:-1],
                    center - p[..., 2:, 1:-1],
                ]
            )
        )
    return (diffs[0] - diffs[1]).pow(2).sum(0).mean()


def exposure_loss(enhanced: torch.Tensor, target: float = 0.6, patch: int = 16) -> torch.Tensor:
    """Pull the mean gray of each ``patch``×``patch`` block toward ``target`` (on [0, 1]).

    The paper writes ``|Y − E|`` with ``E`` on an 8-bit scale; the reference code, which we
    follow, uses the squared difference with ``E = 0.6`` on [0, 1] images.
    """
    means = F.avg_pool2d(enhanced.mean(1, keepdim=True), patch)
    return (means - target).pow(2).mean()


def color_constancy_loss(enhanced: torch.Tensor) -> torch.Tensor:
    """Gray-world: ``sqrt(Σ over channel pairs ((mean_p − mean_q)²)²)``, averaged over the batch."""
    m = enhanced.mean((2, 3))
    r, g, b = m[:, 0], m[:, 1], m[:, 2]
    d_rg, d_rb, d_gb = (r - g).pow(2), (r - b).pow(2), (g - b).pow(2)
    return (d_rg.pow(2) + d_rb.pow(2) + d_gb.pow(2) + COLOR_EPS).sqrt().mean()


def illumination_smoothness_loss(maps: torch.Tensor) -> torch.Tensor:
    """Total variation of the curve maps: mean squared vertical and horizontal gradients.

    ``2·(Σ(∂y A)²/((H−1)·W) + Σ(∂x A)²/(H·(W−1))) / B``, with ``∂y A = A[:, :, 1:] − A[:, :, :-1]``
    (the lecture notebook's slicing of a single row is a bug we do not copy).
    """
    b, _, h, w = maps.shape
    dy = (maps[:, :, 1:, :] - maps[:, :, :-1, :]).pow(2).sum()
    dx = (maps[:, :, :, 1:] - maps[:, :, :, :-1]).pow(2).sum()
    return 2.0 * (dy / ((h - 1) * w) + dx / (h * (w - 1))) / b


class SpatialConsistencyLoss(nn.Module):
    """Module form of :func:`spatial_consistency_loss`: ``forward(enhanced, original)``."""

    def forward(self, enhanced: torch.Tensor, original: torch.Tensor) -> torch.Tensor:
        return spatial_consistency_loss(enhanced, original)


class ExposureLoss(nn.Module):
    """Module form of :func:`exposure_loss`; raises ``ValueError`` for a target outside
    (0, 1) or a patch smaller than 1."""

    def __init__(self, target: float = 0.6, patch: int = 16) -> None:
        super().__init__()
        if not 0.0 < target < 1.0:
            raise ValueError(f"exposure target must be in (0, 1), got {target}")
        if patch < 1:
            raise ValueError(f"patch must be at least 1 pixel, got {patch}")
        self.target, self.patch = target, patch

    def forward(self, enhanced: torch.Tensor) -> torch.Tensor:
        return exposure_loss(enhanced, self.target, self.patch)


class ColorConstancyLoss(nn.Module):
    """Module form of :func:`color_constancy_loss`."""

    def forward(self, enhanced: torch.Tensor) -> torch.Tensor:
        return color_constancy_loss(enhanced)


class IlluminationSmoothnessLoss(nn.Module):
    """Module form of :func:`illumination_smoothness_loss`: ``forward(maps)``."""

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        return illumination_smoothness_loss(maps)


@dataclass(frozen=True)
class LossWeights:
    """Weights of the four losses; reference values (TV 200 for DCE-Net, 1600 for DCE-Net++)."""

    spa: float = 1.0
    exp: float = 10.0
    col: float = 5.0
    tv: float = 200.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value < 0:
                raise ValueError(f"loss weight {name} must be ≥ 0, got {value}")

    @classmethod
    def for_arch(cls, arch: str, **overrides: float) -> LossWeights:
        """Reference weights for ``arch`` (``"dcenet"`` or ``"dcenet++"``), then overrides."""
        tv = 1600.0 if arch == "dcenet++" else 200.0
        return cls(**{"tv": tv, **overrides})


@dataclass(frozen=True)
class LossParts:
    """One evaluation of the losses (floats, already weighted except where noted)."""

    total: float
    spa: float
    exp: float
    col: float
    tv: float


class ZeroReferenceLoss(nn.Module):
    """The weighted sum ``tv·TV(A) + spa·L_spa + col·L_col + exp·L_exp``.

    Raises ``ValueError`` for an exposure target outside (0, 1) or a negative weight.
    """

    def __init__(self, weights: LossWeights | None = None, exposure_target: float = 0.6) -> None:
        super().__init__()
        self.weights = weights or LossWeights()
        self.spa = SpatialConsistencyLoss()
        self.exp = ExposureLoss(exposure_target)
        self.col = ColorConstancyLoss()
        self.tv = IlluminationSmoothnessLoss()

    def forward(
        self, original: torch.Tensor, enhanced: torch.Tensor, maps: torch.Tensor
    ) -> tuple[torch.Tensor, LossParts]:
        """``(total loss tensor, LossParts)`` for a batch and its enhanced version and maps."""
        w = self.weights
        spa = w.spa * self.spa(enhanced, original)
        exp = w.exp * self.exp(enhanced)
        col = w.col * self.col(enhanced)
        tv = w.tv * self.tv(maps)
        total = spa + exp + col + tv
        parts = LossParts(*(float(t.detach()) for t in (total, spa, exp, col, tv)))
        return total, parts
