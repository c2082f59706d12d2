"""Synthetic photo-like test images for the benchmarks (no real photos in the repository)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def photo_like(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A dark ``(H, W, 3)`` uint8 scene: smooth light falloff, soft shapes, texture, noise.

    Built small and upsampled (like real photos, mostly smooth), then grain is added, so JPEG
    sizes and codec costs resemble a real night shot more than pure noise would.
    """
    rng = np.random.default_rng(seed)
    small = rng.random((max(2, height // 64), max(2, width // 64), 3)).astype(np.float32)
    img = Image.fromarray((small * 255).astype(np.uint8)).resize((width, height), Image.BICUBIC)
    base = np.asarray(img, dtype=np.float32) / 255.0
    yy = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xx = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    falloff = np.exp(-(xx**2 + yy**2) * 1.5)[:, :, None]
    detail = Image.fromarray((rng.random((height // 4, width // 4)) * 255).astype(np.uint8)).resize(
        (width, height), Image.BILINEAR
    )
    texture = np.asarray(detail, dtype=np.float32)[:, :, None] / 255.0
    scene = 0.25 * falloff * (0.5 * base + 0.3 * texture + 0.2)
    scene += rng.normal(0.0, 0.01, (height, width, 1)).astype(np.float32)
    return np.clip(scene * 255.0, 0, 255).astype(np.uint8)


def make_photos(
    folder: Path, count: int, width: int, height: int, ext: str = ".jpg", quality: int = 92
) -> list[Path]:
    """Write ``count`` photo-like images (``ext``: ``.jpg`` at ``quality``, or ``.png``) into
    ``folder``, reusing ones already there."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"night_{width}x{height}_{i:02d}{ext}"
        if not path.exists():
            Image.fromarray(photo_like(width, height, seed=i)).save(path, quality=quality)
        paths.append(path)
    return paths


def twelve_mp_photos(count: int = 4) -> list[Path]:
    """``count`` photo-like 4000×3000 JPEGs, cached in the temp folder (shared by the
    preview, loupe and GUI benchmarks)."""
    return make_photos(
        Path(tempfile.gettempdir()) / "zdce-bench-photos" / "12mp", count, 4000, 3000
    )
