"""Small synthetic camera RAW files (DNG: a Bayer mosaic with the tags LibRaw needs)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

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
