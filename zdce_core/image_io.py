"""Reading and writing photos with their metadata.

Pixels travel as ``(H, W, 3)`` RGB arrays, ``uint8`` or ``uint16`` (16-bit sources), with the
EXIF orientation already applied; alpha travels beside them untouched. EXIF (orientation
reset to 1, since the pixels are rotated), the ICC profile and XMP are kept. Every write goes
through :func:`zdce_core.atomic.atomic_path`.
"""

from __future__ import annotations

import math
import os
import stat
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageFile, ImageOps, TiffImagePlugin, UnidentifiedImageError

from zdce_core.deep_colour import orient, read_deep
from zdce_core.errors import ImageReadError
from zdce_core.jpeg_integrity import jpeg_damage
from zdce_core.raw_io import (
    NO_METADATA,
    RAW_EXTENSIONS,
    WhiteBalance,
    capture_exif,
    decode_raw,
    is_raw,
)

try:  # HEIC/HEIF support is optional
    from pillow_heif import register_heif_opener

    register_heif_opener()
    HEIF_AVAILABLE = True
except ImportError:
    HEIF_AVAILABLE = False

ORIENTATION_TAG = 0x0112
TURNED = {5, 6, 7, 8}
"""EXIF orientations that turn the image by 90°."""

READ_EXTENSIONS = frozenset(
    {".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".bmp", ".webp"}
    | ({".heic", ".heif"} if HEIF_AVAILABLE else set())
    | RAW_EXTENSIONS
)
READ_FORMATS = frozenset({"JPEG", "MPO", "PNG", "TIFF", "BMP", "WEBP", "HEIF"})

CORRUPT_EXIF = "corrupt EXIF data (what could be read is kept)"

DECODER_ERRORS: tuple[type[Exception], ...] = (
    OSError,  # Pillow: "image file is truncated", "broken data stream", libtiff failures
    EOFError,  # pillow-heif: corrupt data ("Unexpected end of file"); Pillow: frames cut short
    SyntaxError,  # Pillow and pillow-heif: a malformed or unsupported structure
    ValueError,  # both: invalid data (tifffile's TiffFileError is one too)
    RuntimeError,  # pillow-heif: limits exceeded, "some other error"; imagecodecs' codecs
    struct.error,  # a header or tag cut short, where a plugin does not wrap it
    IndexError,  # pillow-heif: no image in the file; Pillow: end of data
    MemoryError,
)
"""What decoders raise for a corrupt file (pillow-heif documents ValueError, EOFError,
SyntaxError, RuntimeError and OSError for its decoding; tests/test_reader_fuzz.py checks
the readers on damaged files). :func:`read_image` turns them into :class:`ImageReadError`;
anything else (a ``TypeError`` or ``AttributeError``, say) is a bug and keeps its traceback."""


_GRAY_MODES = {"1", "L", "LA", "La", "I", "I;16", "I;16B", "I;16L", "I;16N"}


@dataclass(frozen=True)
class Photo:
    """A decoded photo.

    ``pixels``: ``(H, W, 3)`` RGB, ``uint8`` or ``uint16``, orientation applied.
    ``alpha``: ``(H, W)`` of the same dtype, or ``None``.
    ``grayscale``: the source had one colour channel (it is written back as gray).
    ``source_format``: Pillow's format name (``"JPEG"``, ``"PNG"``, …), or ``"RAW"``.
    """

    pixels: np.ndarray
    alpha: np.ndarray | None
    grayscale: bool
    source_format: str
    exif: bytes | None = None
    icc_profile: bytes | None = None
    xmp: bytes | None = None
    dpi: tuple[float, float] | None = None
    file_size: tuple[int, int] | None = None
    """``(height, width)`` of the image in the file (orientation applied) when ``pixels``
    were decoded at a reduced scale (:func:`read_image`'s ``at_least``)."""
    problems: tuple[str, ...] = ()
    """What the decoder warned about (e.g. corrupt EXIF data, skipped)."""

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def megapixels(self) -> float:
        return self.height * self.width / 1e6

    @property
    def full_size(self) -> tuple[int, int]:
        """``(height, width)`` of the photo in its file."""
        return self.file_size or (self.height, self.width)

    @property
    def bit_depth(self) -> int:
        return 16 if self.pixels.dtype == np.uint16 else 8

    def with_pixels(self, pixels: np.ndarray) -> Photo:
        """The same photo (alpha, metadata) with new RGB pixels of the same shape and dtype."""
        if pixels.shape != self.pixels.shape or pixels.dtype != self.pixels.dtype:
            raise ValueError("new pixels must keep the shape and dtype")
        return replace(self, pixels=pixels)


def is_candidate(path: Path) -> bool:
    """Whether ``path`` looks like an image we read (by extension; hidden files are not)."""
    return not path.name.startswith(".") and path.suffix.lower() in READ_EXTENSIONS


def _to_arrays(img: Image.Image) -> tuple[np.ndarray, np.ndarray | None, bool]:
    """``(rgb (H, W, 3), alpha (H, W) or None, grayscale)`` for any supported mode."""
    mode = img.mode
    if mode == "P" or mode == "PA":
        has_alpha = mode == "PA" or "transparency" in img.info
        img = img.convert("RGBA" if has_alpha else "RGB")
        mode = img.mode
    if mode.startswith("I"):
        gray = np.asarray(img)
        if gray.dtype != np.uint16:
            gray = np.clip(gray, 0, 65535).astype(np.uint16)
        return np.repeat(gray[:, :, None], 3, axis=2), None, True
    if mode == "F":
        raise ImageReadError("32-bit floating-point images are not supported")
    if mode in ("1", "L"):
        gray = np.asarray(img.convert("L"))
        return np.repeat(gray[:, :, None], 3, axis=2), None, True
    if mode in ("LA", "La"):
        la = np.asarray(img.convert("LA"))
        return np.repeat(la[:, :, :1], 3, axis=2), la[:, :, 1].copy(), True
    if mode in ("RGBA", "RGBa"):
        rgba = np.asarray(img.convert("RGBA"))
        return np.ascontiguousarray(rgba[:, :, :3]), rgba[:, :, 3].copy(), False
    return np.asarray(img if mode == "RGB" else img.convert("RGB")), None, False


FILE_KINDS: tuple[tuple[Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)
"""What a path that is not a regular file is, as the reason says it."""


def open_regular(path: Path) -> BinaryIO:
    """``path`` open for reading in binary, checked to be a regular file at the moment it is
    opened; raises :class:`ImageReadError` ("not a regular file (a named pipe)", "file not
    found", "permission denied") otherwise.

    The open is non-blocking, so a file swapped for a FIFO after discovery (which would block
    an ordinary open until a writer came) is refused at once; the descriptor's ``fstat``, not
    the path's, decides, so nothing can be swapped between the check and the read. Regular
    files ignore ``O_NONBLOCK``; it is cleared all the same before the file is handed on."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError as exc:
        raise ImageReadError("file not found") from exc
    except PermissionError as exc:
        raise ImageReadError("permission denied") from exc
    except OSError as exc:
        raise ImageReadError(f"cannot be opened ({exc.strerror or _reason(exc)})") from exc
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in FILE_KINDS if test(mode)), "a special file")
            raise ImageReadError(f"not a regular file ({kind})")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        source = os.fdopen(fd, "rb")
        source.raw.name = os.fspath(path)  # type: ignore[attr-defined]  # readers want a name
        return source
    except BaseException:
        os.close(fd)
        raise


def _read_raw(source: BinaryIO, at_least: int | None, white_balance: WhiteBalance) -> Photo:
    """A camera RAW file, open as ``source``, as a 16-bit :class:`Photo` (see
    :mod:`zdce_core.raw_io`); previews (``at_least``) use LibRaw's half-size decode when it
    is still that long."""
    pixels, full = decode_raw(source, at_least is not None, white_balance)
    if at_least is not None and max(pixels.shape[:2]) < min(at_least, max(full)):
        pixels, full = decode_raw(source, False, white_balance)
    exif = capture_exif(source)
    return Photo(
        pixels=pixels,
        alpha=None,
        grayscale=False,
        source_format="RAW",
        exif=exif,
        file_size=full if pixels.shape[:2] != full else None,
        problems=() if exif else (NO_METADATA,),
    )


def read_image(
    path: str | os.PathLike[str],
    at_least: int | None = None,
    white_balance: WhiteBalance = WhiteBalance.CAMERA,
) -> Photo:
    """Decode ``path`` into a :class:`Photo`; raises :class:`ImageReadError` with the reason.

    Accepts JPEG, PNG, TIFF, BMP, WebP (HEIC with ``pillow-heif``) in modes 1, L, LA, P, PA,
    RGB, RGBA, CMYK, I;16 and others Pillow converts to RGB; 16-bit RGB(A) PNG and TIFF are
    read at full depth (:mod:`zdce_core.deep_colour`). Multi-frame files give their
    first frame. Images over Pillow's decompression-bomb limit are refused. ``at_least``
    (previews): a JPEG is decoded at the smallest scale of 1/2, 1/4 or 1/8 whose long side
    is still at least that many pixels (libjpeg scales while decoding: a 12 MP photo in a
    quarter of the time), a RAW file at half size; ``file_size`` then gives the size in the
    file. Camera RAW files (by extension) are developed by LibRaw with ``white_balance``.
    """
    path = Path(path)
    if is_raw(path):
        with open_regular(path) as source:
            return _read_raw(source, at_least, white_balance)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with open_regular(path) as source, Image.open(source) as img:
                if img.format not in READ_FORMATS:
                    raise ImageReadError(f"unsupported image format {img.format}")
                if img.format in ("JPEG", "MPO"):
                    damage = jpeg_damage(_whole_file(source))
                    if damage:
                        raise ImageReadError(f"corrupt JPEG data ({damage})")
                reduced = _sixteen_bit_colour(img)
                in_file = img.size
                if at_least is not None and img.format == "JPEG":
                    scale = at_least / max(in_file)
                    img.draft(
                        img.mode, (math.ceil(in_file[0] * scale), math.ceil(in_file[1] * scale))
                    )
                img.load()
                exif = img.getexif()
                orientation = exif.get(ORIENTATION_TAG, 1)
                file_size = None
                if img.size != in_file:
                    turned = orientation in TURNED
                    file_size = (in_file[0], in_file[1]) if turned else (in_file[1], in_file[0])
                # exif_transpose also drops the orientation from the XMP kept in ``info``
                upright = ImageOps.exif_transpose(img) if orientation != 1 else img
                deep, notes = (
                    _full_depth(source, img.format, orientation) if reduced else (None, [])
                )
                if deep is not None:  # Pillow decoded 16-bit colour at 8 bits: use the full one
                    rgb = np.ascontiguousarray(deep[:, :, :3])
                    alpha = deep[:, :, 3].copy() if deep.shape[2] == 4 else None
                    gray = False
                else:
                    rgb, alpha, gray = _to_arrays(upright)
                if orientation != 1:
                    exif[ORIENTATION_TAG] = 1
                info = upright.info
                icc = info.get("icc_profile") if img.mode != "CMYK" else None
                notes = [*_problems(caught), *notes]
                dpi = info.get("dpi")
                return Photo(
                    pixels=rgb,
                    alpha=alpha,
                    grayscale=gray,
                    source_format=img.format,
                    exif=exif.tobytes() if len(exif) else None,
                    icc_profile=icc or None,
                    xmp=_xmp_bytes(info),
                    dpi=(float(dpi[0]), float(dpi[1])) if dpi else None,
                    file_size=file_size,
                    problems=tuple(notes),
                )
    except ImageReadError:
        raise
    except Image.DecompressionBombError as exc:
        limit = 2 * (Image.MAX_IMAGE_PIXELS or 0) / 1e6
        raise ImageReadError(
            f"too large: over {limit:.0f} megapixels, refused as a possible decompression bomb"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageReadError("not an image, or a format we cannot read") from exc
    except FileNotFoundError as exc:
        raise ImageReadError("file not found") from exc
    except PermissionError as exc:
        raise ImageReadError("permission denied") from exc
    except DECODER_ERRORS as exc:
        raise ImageReadError(f"corrupt or truncated image ({_reason(exc)})") from exc


def _whole_file(source: BinaryIO) -> bytes:
    """All the bytes of ``source``, its position kept (the decoder reads on from there)."""
    position = source.tell()
    source.seek(0)
    data = source.read()
    source.seek(position)
    return data


def _reason(exc: BaseException) -> str:
    """The decoder's message on one line, or the exception's name when it has none."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


PNG_16BIT_RAWMODES = frozenset({"RGB;16B", "RGBA;16B"})
"""Pillow's raw modes for a 16-bit RGB(A) PNG, which it decodes at 8 bits."""
TIFF_BITS_PER_SAMPLE = 258


def _sixteen_bit_colour(img: ImageFile.ImageFile) -> bool:
    """Whether ``img`` is a 16-bit RGB(A) PNG or TIFF that Pillow decodes at 8 bits (then
    :func:`_full_depth` reads it again). Decided by format and the file's own bit depth:
    PNG by Pillow's raw mode of the pixel data, TIFF by its BitsPerSample tag."""
    if img.mode not in ("RGB", "RGBA") or not img.tile:
        return False
    if img.format == "PNG":
        args = img.tile[0].args
        rawmode = args if isinstance(args, str) else args[0] if args else None
        return rawmode in PNG_16BIT_RAWMODES
    if isinstance(img, TiffImagePlugin.TiffImageFile):
        bits = img.tag_v2.get(TIFF_BITS_PER_SAMPLE)
        return 16 in (bits if isinstance(bits, tuple) else (bits,))
    return False


def _full_depth(
    source: BinaryIO, fmt: str, orientation: int
) -> tuple[np.ndarray | None, list[str]]:
    """The 16-bit colour pixels of the file open as ``source`` upright, or ``None`` and
    the reason they could not be decoded (the 8-bit decode is used then)."""
    try:
        return orient(read_deep(source, fmt), orientation), []
    except (*DECODER_ERRORS, ImportError) as exc:
        return None, [f"16-bit colour read at 8 bits ({exc})"]


def _problems(caught: list[warnings.WarningMessage]) -> tuple[str, ...]:
    """The decoder's own warnings, once each. Those of Pillow's TIFF tag parser (which also
    reads a JPEG's EXIF block) become one plain note: Pillow keeps what it could parse."""
    found = [
        CORRUPT_EXIF if Path(w.filename).stem == "TiffImagePlugin" else str(w.message).strip()
        for w in caught
        if issubclass(w.category, UserWarning)
    ]
    return tuple(dict.fromkeys(found))


def _xmp_bytes(info: dict) -> bytes | None:
    xmp = info.get("xmp") or info.get("XML:com.adobe.xmp")
    if isinstance(xmp, str):
        xmp = xmp.encode("utf-8")
    return xmp or None
