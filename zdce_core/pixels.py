"""Pixels and tensors: ``(H, W, 3)`` uint8/uint16 arrays as ``(1, 3, H, W)`` float tensors in
[0, 1], and reduced 8-bit copies."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image

from zdce_core.bit_depth import eight_bit


def max_value(dtype: np.dtype) -> float:
    """The value of white in pixels of ``dtype``: 65535 for uint16, 255 otherwise."""
    return 65535.0 if dtype == np.uint16 else 255.0


def pixels_as_tensor(pixels: np.ndarray) -> torch.Tensor:
    """A ``(1, 3, H, W)`` view (channels_last strides) of ``(H, W, 3)`` pixels.

    No copy, except for uint16 (widened: torch's uint16 support is partial) and read-only
    arrays (torch tensors cannot be read-only).
    """
    if pixels.dtype == np.uint16:
        pixels = pixels.astype(np.int32)
    elif not pixels.flags.writeable:
        pixels = pixels.copy()
    return torch.from_numpy(pixels).permute(2, 0, 1).unsqueeze(0)


def to_unit_float(
    pixels: np.ndarray,
    device: torch.device,
    memory_format: torch.memory_format = torch.channels_last,
) -> torch.Tensor:
    """``(1, 3, H, W)`` float32 in [0, 1] from ``(H, W, 3)`` uint8/uint16 pixels."""
    x = pixels_as_tensor(pixels).to(device=device, dtype=torch.float32, memory_format=memory_format)
    return x.mul_(1.0 / max_value(pixels.dtype))


def reduced_copy(pixels: np.ndarray, size: int) -> np.ndarray:
    """An 8-bit ``(h, w, 3)`` copy whose long side is at most ``size`` (antialiased); the
    input itself when it is 8-bit and small enough."""
    pixels = eight_bit(pixels)
    h, w = pixels.shape[:2]
    scale = size / max(h, w)
    if scale >= 1.0:
        return pixels
    target = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(
        Image.fromarray(pixels).resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    )
