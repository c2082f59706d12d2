"""16-bit colour PNG and TIFF, which Pillow reads at 8 bits and cannot write.

Decoding and encoding are left to well-kept libraries: imagecodecs (libpng) for PNG, tifffile
(with imagecodecs' zlib) for TIFF. What stays here is the glue: orientation for arrays,
PNG's metadata chunks (iCCP, eXIf, pHYs) around imagecodecs' pixels, and the EXIF tags a
TIFF carries in its first directory (TIFF/EP places capture settings there, as DNG does).

Arrays are ``(H, W, 3)`` RGB or ``(H, W, 4)`` RGBA, ``uint16``.
"""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO

import imagecodecs
import numpy as np
import tifffile
from PIL import Image

from zdce_core.raw_io import EXIF_IFD

TIFF_EP_TAGS = {  # tag: (tifffile dtype, where it lives in a Pillow Exif: 0 = IFD0)
    271: ("s", 0),  # Make
    272: ("s", 0),  # Model
    305: ("s", 0),  # Software
    306: ("s", 0),  # DateTime
    315: ("s", 0),  # Artist
    33432: ("s", 0),  # Copyright
    33434: ("2I", EXIF_IFD),  # ExposureTime
    33437: ("2I", EXIF_IFD),  # FNumber
    34855: ("H", EXIF_IFD),  # ISO speed
    36867: ("s", EXIF_IFD),  # DateTimeOriginal
    37386: ("2I", EXIF_IFD),  # FocalLength
    42036: ("s", EXIF_IFD),  # LensModel
}
"""The capture metadata copied into a 16-bit TIFF's first directory."""


def read_deep(source: BinaryIO, fmt: str) -> np.ndarray:
    """The pixels of a 16-bit RGB(A) ``fmt`` (``"PNG"`` or ``"TIFF"``) file open as
    ``source`` at full depth, first image only, as stored (orientation not applied)."""
    source.seek(0)
    if fmt == "PNG":
        pixels = imagecodecs.png_decode(source.read())
    else:
        pixels = tifffile.imread(source, key=0)
    if pixels.ndim != 3 or pixels.shape[2] not in (3, 4) or pixels.dtype != np.uint16:
        raise ValueError(f"expected 16-bit RGB(A), got {pixels.dtype} {pixels.shape}")
    return pixels


def orient(pixels: np.ndarray, orientation: int) -> np.ndarray:
    """``pixels`` ``(H, W, …)`` turned upright for an EXIF ``orientation`` of 1–8."""
    flips = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.swapaxes(0, 1),
        6: lambda a: a.swapaxes(0, 1)[:, ::-1],
        7: lambda a: a.swapaxes(0, 1)[::-1, ::-1],
        8: lambda a: a.swapaxes(0, 1)[::-1],
    }
    turn = flips.get(orientation)
    return pixels if turn is None else np.ascontiguousarray(turn(pixels))


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def write_png16(
    path: Path,
    pixels: np.ndarray,
    level: int,
    icc: bytes | None = None,
    exif: bytes | None = None,
    dpi: tuple[float, float] | None = None,
) -> None:
    """Write ``pixels`` as a 16-bit PNG (zlib ``level``) with its colour profile, EXIF and
    resolution chunks placed after the header, as the PNG specification orders them."""
    encoded = imagecodecs.png_encode(np.ascontiguousarray(pixels), level=level)
    header_end = 8 + 8 + 13 + 4  # signature, IHDR length+type, IHDR data, CRC
    extra = b""
    if icc:
        extra += _chunk(b"iCCP", b"ICC profile\x00\x00" + zlib.compress(icc))
    if dpi:
        per_metre = [round(d / 0.0254) for d in dpi]
        extra += _chunk(b"pHYs", struct.pack(">IIB", per_metre[0], per_metre[1], 1))
    if exif:
        extra += _chunk(b"eXIf", exif.removeprefix(b"Exif\x00\x00"))
    path.write_bytes(encoded[:header_end] + extra + encoded[header_end:])


def _tiff_tags(exif: bytes | None) -> list[tuple[int, str, int, object, bool]]:
    """tifffile ``extratags`` for the :data:`TIFF_EP_TAGS` found in ``exif`` (Pillow bytes)."""
    if not exif:
        return []
    parsed = Image.Exif()
    parsed.load(exif)
    directories = {0: dict(parsed), EXIF_IFD: dict(parsed.get_ifd(EXIF_IFD))}
    tags = []
    for code, (dtype, where) in TIFF_EP_TAGS.items():
        value = directories[where].get(code)
        if value is None:
            continue
        if dtype == "s":
            tags.append((code, "s", 0, str(value).strip("\x00"), True))
        elif dtype == "H":
            number = value[0] if isinstance(value, tuple) else value
            tags.append((code, "H", 1, int(number), True))
        else:
            ratio = Fraction(float(value)).limit_denominator(100_000)
            tags.append((code, "2I", 1, (ratio.numerator, ratio.denominator), True))
    return tags


def write_tiff16(
    path: Path,
    pixels: np.ndarray,
    icc: bytes | None = None,
    exif: bytes | None = None,
    dpi: tuple[float, float] | None = None,
) -> None:
    """Write ``pixels`` as a 16-bit, zlib-compressed TIFF with its colour profile,
    resolution and capture metadata (camera, lens, date, exposure) in the first directory.

    ``software=False``: tifffile otherwise writes its own Software tag (305) and logs "not
    writing extratag 305" when the photo's EXIF brings one; the photo's own is kept instead.
    """
    tifffile.imwrite(
        path,
        np.ascontiguousarray(pixels),
        photometric="rgb",
        extrasamples=["unassalpha"] if pixels.shape[2] == 4 else None,
        compression="zlib",
        iccprofile=icc,
        resolution=dpi,
        resolutionunit="INCH" if dpi else None,
        extratags=_tiff_tags(exif),
        metadata=None,
        software=False,
    )
