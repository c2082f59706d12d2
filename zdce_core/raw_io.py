"""Camera RAW files, decoded by LibRaw (through rawpy) to 16-bit sRGB.

Demosaicing, white balance, colour conversion and the camera's orientation are LibRaw's;
its automatic brightening is off (``no_auto_bright``), so a dark shot stays dark and the
curves do the lifting. The capture metadata (camera, lens, date, exposure) of TIFF-based RAW
formats (DNG, NEF, CR2, ARW, ORF, PEF, …) is read with tifffile and carried as EXIF; CR3,
RAF and other containers keep their pixels but not their metadata.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import BinaryIO

import numpy as np
import rawpy
import tifffile
from PIL import Image, TiffImagePlugin

from zdce_core.errors import ImageReadError

RAW_EXTENSIONS = frozenset(
    {
        ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".raf",
        ".orf", ".rw2", ".rwl", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".erf", ".kdc",
        ".dcr", ".mrw", ".mos", ".raw",
    }
)  # fmt: skip
EXIF_IFD = 0x8769
CAPTURE_TAGS = {  # tag: the EXIF directory it is written to (0: IFD0)
    271: 0,  # Make
    272: 0,  # Model
    306: 0,  # DateTime
    315: 0,  # Artist
    33432: 0,  # Copyright
    33434: EXIF_IFD,  # ExposureTime
    33437: EXIF_IFD,  # FNumber
    34850: EXIF_IFD,  # ExposureProgram
    34855: EXIF_IFD,  # ISO speed
    36867: EXIF_IFD,  # DateTimeOriginal
    36868: EXIF_IFD,  # DateTimeDigitized
    37380: EXIF_IFD,  # ExposureBiasValue
    37385: EXIF_IFD,  # Flash
    37386: EXIF_IFD,  # FocalLength
    41989: EXIF_IFD,  # FocalLengthIn35mmFilm
    42035: EXIF_IFD,  # LensMake
    42036: EXIF_IFD,  # LensModel
}
"""Capture metadata kept from a RAW file; found in its first directory or its EXIF one."""
NO_METADATA = "capture metadata is not read from this RAW format (pixels only)"


class WhiteBalance(Enum):
    """The white balance a RAW file is developed with: as shot, or estimated from the image."""

    CAMERA = "camera"
    AUTO = "auto"


def is_raw(path: Path) -> bool:
    return path.suffix.lower() in RAW_EXTENSIONS


def _exif_value(value: object) -> object:
    """A tifffile tag value as Pillow's EXIF writer wants it (rationals as IFDRational)."""
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return TiffImagePlugin.IFDRational(value[0], value[1] or 1)
    if isinstance(value, tuple) and len(value) == 1:
        return value[0]
    if isinstance(value, bytes):
        return value.decode("latin-1").strip("\x00")
    return value.value if isinstance(value, Enum) else value  # tifffile's IntEnum codes


def capture_exif(source: Path | BinaryIO) -> bytes | None:
    """EXIF bytes (Pillow's format) with the :data:`CAPTURE_TAGS` of a TIFF-based RAW file
    (a path, or the file open in binary), or ``None`` when the file is not TIFF-based or
    holds none of them."""
    try:
        if not isinstance(source, Path):
            source.seek(0)
        with tifffile.TiffFile(source) as tif:
            page = tif.pages.first
            found = {tag.code: tag.value for tag in page.tags}
            exif_ifd = found.get(EXIF_IFD)
    except (tifffile.TiffFileError, OSError, ValueError, KeyError, IndexError):
        return None
    if isinstance(exif_ifd, dict):  # tifffile reads the EXIF directory into names → values
        names = {v: k for k, v in tifffile.TIFF.TAGS.items() if isinstance(k, int)}
        for name, value in exif_ifd.items():
            code = names.get(name)
            if code is not None:
                found.setdefault(code, value)
    exif = Image.Exif()
    settings = exif.get_ifd(EXIF_IFD)
    for code, where in CAPTURE_TAGS.items():
        if code in found and found[code] not in (None, "", b""):
            (exif if where == 0 else settings)[code] = _exif_value(found[code])
    return exif.tobytes() if len(exif) or len(settings) else None


def decode_raw(
    source: Path | BinaryIO,
    half_size: bool = False,
    white_balance: WhiteBalance = WhiteBalance.CAMERA,
) -> tuple[np.ndarray, tuple[int, int]]:
    """``(pixels (H, W, 3) uint16 sRGB, (height, width) of the full image)``, upright;
    ``source`` is a path or the file open in binary (read from its start).

    ``half_size``: one pixel per 2×2 Bayer block, no demosaicing (4× fewer pixels, several
    times faster: for previews). Raises :class:`ImageReadError`.
    """
    try:
        if not isinstance(source, Path):
            source.seek(0)
        with rawpy.imread(str(source) if isinstance(source, Path) else source) as raw:
            sizes = raw.sizes
            pixels = raw.postprocess(
                use_camera_wb=white_balance is WhiteBalance.CAMERA,
                use_auto_wb=white_balance is WhiteBalance.AUTO,
                no_auto_bright=True,
                output_bps=16,
                half_size=half_size,
            )
    except rawpy.LibRawFileUnsupportedError as exc:
        raise ImageReadError("not a RAW file LibRaw can read") from exc
    except rawpy.LibRawIOError as exc:
        raise ImageReadError("corrupt, truncated or not a RAW file") from exc
    except (rawpy.LibRawError, MemoryError) as exc:
        raise ImageReadError(f"cannot decode this RAW file ({exc})") from exc
    turned = sizes.flip in (5, 6)
    full = (sizes.width, sizes.height) if turned else (sizes.height, sizes.width)
    return np.ascontiguousarray(pixels), full
