"""Synthetic test data shared by the tests, the benchmarks and `.ci/run`: dark photos,
16-bit gradients, camera RAW (DNG) files and networks with predictable output.

No real photos are in the repository; everything here is generated, seeded and small.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile
import torch
from PIL import Image

from zdce_core import nets
from zdce_core.weights import LoadedModel

# --- Photos -----------------------------------------------------------------------------


def dark_rgb(height: int = 48, width: int = 64, seed: int = 0) -> np.ndarray:
    """A dark, smooth-plus-noise ``(H, W, 3)`` uint8 test photo (mean gray ≈ 0.15)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width]
    base = 20 + 30 * xx / max(width - 1, 1) + 15 * yy / max(height - 1, 1)
    rgb = base[:, :, None] * np.array([1.0, 0.9, 0.8]) + rng.normal(0, 4, (height, width, 3))
    return np.clip(rgb, 0, 255).astype(np.uint8)


def tinted(red: float, blue: float, seed: int = 3) -> np.ndarray:
    """A dark 48 × 64 photo whose red and blue channels are ``red`` and ``blue`` × green."""
    rgb = dark_rgb(48, 64, seed=seed).astype(np.float64)
    grey = rgb.mean(axis=2, keepdims=True)
    return np.clip(grey * (red, 1.0, blue), 0, 255).astype(np.uint8)


def noisy_edge_photo() -> np.ndarray:
    """Dark, two flat halves (an edge in the middle) with colour noise."""
    rng = np.random.default_rng(3)
    base = np.zeros((128, 128, 3))
    base[:, :64] = (18, 16, 14)
    base[:, 64:] = (40, 36, 30)
    return np.clip(base + rng.normal(0, 3, base.shape), 0, 255).astype(np.uint8)


def save_photo(path: Path, rgb: np.ndarray | None = None, **params: object) -> Path:
    """Write ``rgb`` (default ``dark_rgb()``) to ``path`` with Pillow, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(dark_rgb() if rgb is None else rgb).save(path, **params)
    return path


def gradient16(height: int = 32, width: int = 600) -> np.ndarray:
    """A smooth dark 16-bit RGB ramp: 0 to about 16 % of full scale, a colour tint."""
    ramp = np.linspace(0.0, 10_000.0, width)
    rgb = np.stack([ramp, ramp * 0.9, ramp * 0.8], axis=1)
    return np.repeat(rgb[None], height, axis=0).round().astype(np.uint16)


# --- Networks with predictable output ---------------------------------------------------


def random_model(arch: str = "dcenet") -> LoadedModel:
    """A seeded, untrained model of ``arch``."""
    torch.manual_seed(0)
    return LoadedModel(nets.build(arch).eval())


def brightening_net(arch: str = "dcenet") -> nets.CurveNet:
    """A network whose maps are -0.5 everywhere (all weights 0, last bias atanh(-0.5)):
    every iteration brightens, so results are predictable."""
    net = nets.build(arch)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        last = net.e_conv7 if arch == "dcenet" else net.e_conv7.point_conv
        last.bias.fill_(float(np.arctanh(-0.5)))
    return net.eval()


def darkening_net() -> nets.CurveNet:
    """A DCE-Net++ whose maps are all tanh(2) ≈ 0.96: every iteration nearly squares the
    pixel, so a dark photo turns black (maps of exactly ±1 are refused at load)."""
    net = nets.build("dcenet++")
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.e_conv7.point_conv.bias.fill_(2.0)
    return net.eval()


# --- Camera RAW (DNG: a Bayer mosaic with the tags LibRaw needs) --------------------------

BLACK, WHITE = 256, 16383
RED, BLUE = (0.6, 0.1, 0.05), (0.05, 0.15, 0.6)


def scene(height: int, width: int) -> np.ndarray:
    """Linear light ``(H, W, 3)`` in [0, 1]: the left half red, the right half blue, dim."""
    rgb = np.zeros((height, width, 3))
    rgb[:, : width // 2] = RED
    rgb[:, width // 2 :] = BLUE
    return rgb * 0.5


def _rationals(values: list[float]) -> list[int]:
    out: list[int] = []
    for v in values:
        out += [round(v * 10_000), 10_000]
    return out


def write_dng(
    path: Path, height: int = 64, width: int = 96, orientation: int = 1, capture: bool = True
) -> Path:
    """An RGGB DNG of ``scene`` (14-bit, black level 256), identity colour matrix, neutral
    white balance; ``capture``: camera, lens, date and exposure tags in IFD0 (TIFF/EP)."""
    rgb = scene(height, width)
    mosaic = np.empty((height, width))
    mosaic[0::2, 0::2] = rgb[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = rgb[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = rgb[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = rgb[1::2, 1::2, 2]
    data = (BLACK + mosaic * (WHITE - BLACK)).astype(np.uint16)
    tags = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, "B", 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, "s", 0, "Test Camera", True),  # UniqueCameraModel
        (50714, "H", 1, BLACK, True),  # BlackLevel
        (50717, "H", 1, WHITE, True),  # WhiteLevel
        (50721, "2i", 9, _rationals([1, 0, 0, 0, 1, 0, 0, 0, 1]), True),  # ColorMatrix1
        (50728, "2I", 3, _rationals([1, 1, 1]), True),  # AsShotNeutral
        (50778, "H", 1, 21, True),  # CalibrationIlluminant1: D65
        (274, "H", 1, orientation, True),  # Orientation
    ]
    if capture:
        tags += [
            (271, "s", 0, "Nightcam", True),  # Make
            (272, "s", 0, "NC-1", True),  # Model
            (33434, "2I", 1, (1, 30), True),  # ExposureTime
            (33437, "2I", 1, (18, 10), True),  # FNumber
            (34855, "H", 1, 3200, True),  # ISO
            (36867, "s", 0, "2026:11:26 21:30:00", True),  # DateTimeOriginal
            (42036, "s", 0, "50mm f/1.8", True),  # LensModel
        ]
    tifffile.imwrite(path, data, photometric=32803, extratags=tags, metadata=None)
    return path


def dark_photo_folder(folder: Path, count: int = 10) -> Path:
    """``folder`` filled with ``count`` small dark PNGs of slightly different sizes (a
    training set for fast tests)."""
    for i in range(count):
        save_photo(folder / f"{i:02d}.png", dark_rgb(40 + i, 56, seed=i))
    return folder


def dark_scene(
    noise: float, size: tuple[int, int] = (240, 320), ground: float = 0.05
) -> np.ndarray:
    """A dim street at night: a dark ground (luma about ``ground``) under a darker sky, with
    a lit block; ``noise``: the grain's standard deviation relative to the ground's level."""
    rng = np.random.default_rng(0)
    h, w = size
    level = np.full((h, w, 1), ground * 255)
    level[: h // 3] = 0.02 * 255
    level[h // 2 : h // 2 + h // 6, w // 3 : w // 2] = 0.4 * 255
    grain = rng.normal(0.0, noise * ground * 255, (h, w, 1))
    return np.clip((level + grain) * np.array([1.0, 0.97, 0.92]), 0, 255).astype(np.uint8)
