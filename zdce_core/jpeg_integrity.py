"""Whether a JPEG's structure can be right, checked without decoding it.

libjpeg reports corrupt entropy-coded data (a block of the file zeroed or overwritten, a
frame size the file cannot hold) only as warnings, which Pillow and imagecodecs drop before
decoding grey or garbage pixels; :func:`jpeg_damage` finds such files first so that
:func:`zdce_core.image_io.read_image` can fail them with their reason.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field

MAX_PIXELS_PER_BYTE = 2000
"""A Huffman-coded JPEG cannot hold more pixels than this per byte of file. The densest
possible one, a flat grey picture with optimised tables, spends at least one bit per 8×8
block in its DC scan: 512 pixels per byte; a smooth 12 MP photo at quality 50 is about 60.
A SOF that claims more (144 MP in a 60 KB file: 2,400) is corrupt, and decoding it would
produce a huge grey picture. Arithmetic-coded JPEGs (rare) can be denser and are not held
to it."""
ZERO_RUN_BYTES = 1024
"""A run of this many zero bytes inside entropy-coded data is damage (a block of the file
zeroed) unless the scan's Huffman tables decode all-zero bits as flat blocks (then an
encoder may write it for a flat area, and the run is allowed)."""

_SEGMENT_AFTER_SCAN = frozenset(
    {0xC4, 0xCC, 0xD9, 0xDA, 0xDB, 0xDC, 0xDD, 0xFE, *range(0xE0, 0xF0)}
)
"""Markers that may follow a scan's data (tables, restart interval, DNL, APPn, COM, the
next scan, EOI); anything else there means the entropy-coded data is damaged."""
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})
_HUFFMAN_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7})
_ARITHMETIC_SOF = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
_PROGRESSIVE_SOF = frozenset({0xC2, 0xC6, 0xCA, 0xCE})
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7]")
"""The first marker that ends entropy-coded data (stuffed 0xFF00 and RSTn do not)."""
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")


@dataclass
class _JpegScan:
    """What :func:`jpeg_damage` knows while it walks a JPEG's segments."""

    progressive: bool = False
    huffman: bool = True
    zero_symbols: dict[tuple[int, int], int] = field(default_factory=dict)
    """(class 0 = DC / 1 = AC, table id) → the symbol the all-zero code stands for."""


def jpeg_size_is_possible(width: int, height: int, file_bytes: int) -> bool:
    """Whether a Huffman-coded JPEG of ``file_bytes`` can hold ``width`` × ``height``
    pixels (see :data:`MAX_PIXELS_PER_BYTE`)."""
    return width * height <= MAX_PIXELS_PER_BYTE * max(file_bytes, 1)


def _kilobytes(size: int) -> str:
    return f"{size / 1000:.0f} KB" if size >= 1000 else f"{size} bytes"


def jpeg_damage(data: bytes) -> str | None:
    """Why the JPEG ``data`` cannot be right, or ``None`` when its structure holds.

    Checked without decoding (a few milliseconds for a 12 MP photo): a frame size the
    file's byte count cannot hold (:data:`MAX_PIXELS_PER_BYTE`), segments whose lengths
    lead nowhere, entropy-coded data that ends in a marker which cannot follow it or has
    restart markers out of order (libjpeg's "Corrupt JPEG data: premature end of data
    segment" and "found marker … instead of RST"), and long runs of zero bytes in it
    (:data:`ZERO_RUN_BYTES`). libjpeg reports those only as warnings, which Pillow and
    imagecodecs drop, and then decodes grey or garbage pixels. A file cut short is left to
    the decoder, which reports it. Not caught: damage that happens to be valid Huffman
    data (libjpeg cannot tell either, short of a picture that looks wrong).
    """
    if not data.startswith(b"\xff\xd8"):
        return None
    state = _JpegScan()
    after_scan = False
    end = len(data)
    pos = 2
    while pos < end:
        if data[pos] != 0xFF:  # junk between header segments: libjpeg skips it too
            pos = data.find(b"\xff", pos)
            if pos < 0:
                return None
        while pos < end and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= end:
            return None
        marker = data[pos]
        pos += 1
        if after_scan and marker not in _SEGMENT_AFTER_SCAN:
            return f"marker 0x{marker:02X} inside the image data"
        after_scan = False
        if marker == 0xD9:
            return None
        if marker in _STANDALONE:
            continue
        if marker == 0x00:  # 0xFF00 between segments: junk, skipped as libjpeg does
            continue
        if marker == 0xD8:
            return "a second start of image"
        if pos + 2 > end:
            return None
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2:
            return f"segment 0x{marker:02X} with an impossible length {length}"
        body = data[pos + 2 : pos + length]
        if pos + length > end:
            return None  # cut short: the decoder says so
        problem = _segment(marker, body, state, end)
        if problem:
            return problem
        pos += length
        if marker == 0xDA:
            stop = _SCAN_END.search(data, pos)
            if stop is None:
                return None
            problem = _scan_data(data, pos, stop.start(), body, state)
            if problem:
                return problem
            after_scan = True
            pos = stop.start()
    return None


def _segment(marker: int, body: bytes, state: _JpegScan, file_bytes: int) -> str | None:
    """Check one header segment, noting in ``state`` what the scans need."""
    if marker in _HUFFMAN_SOF or marker in _ARITHMETIC_SOF:
        if len(body) < 6:
            return "frame header too short"
        height, width = struct.unpack(">HH", body[1:5])
        state.progressive = marker in _PROGRESSIVE_SOF
        state.huffman = marker in _HUFFMAN_SOF
        if state.huffman and height and not jpeg_size_is_possible(width, height, file_bytes):
            return f"{width}×{height} pixels cannot be held in {_kilobytes(file_bytes)}"
    elif marker == 0xC4:
        at = 0
        while at + 17 <= len(body):
            kind, counts = body[at], body[at + 1 : at + 17]
            total = sum(counts)
            if at + 17 + total > len(body):
                return "Huffman table longer than its segment"
            if total:
                state.zero_symbols[(kind >> 4, kind & 0x0F)] = body[at + 17]
            at += 17 + total
    return None


def _zero_bits_are_flat(header: bytes, state: _JpegScan) -> bool:
    """Whether all-zero bits in a scan with this SOS ``header`` decode as flat blocks (DC
    unchanged, then end of block), so a legitimate encoder may write long zero runs; also
    ``True`` when it cannot be told (refinement scans, arithmetic coding, default tables)."""
    if not header or not state.huffman:
        return True
    count = header[0]
    if len(header) < 1 + 2 * count + 3:
        return True
    spectral_start, spectral_end, approximation = header[1 + 2 * count : 4 + 2 * count]
    if state.progressive and approximation >> 4:
        return True  # refinement: correction bits, zeros are ordinary
    for index in range(count):
        tables = header[2 + 2 * index]
        if spectral_start == 0:
            dc = state.zero_symbols.get((0, tables >> 4))
            if dc is None or dc != 0:
                return dc is None
        if spectral_end > 0:
            ac = state.zero_symbols.get((1, tables & 0x0F))
            if ac is None:
                return True
            if (ac & 0x0F) != 0 or ac >> 4 == 0x0F or (not state.progressive and ac):
                return False
    return True


def _scan_data(data: bytes, start: int, stop: int, header: bytes, state: _JpegScan) -> str | None:
    """Check the entropy-coded data ``data[start:stop]`` of the scan with ``header``."""
    expected = 0
    for restart in _RESTART.finditer(data, start, stop):
        found = data[restart.start() + 1] - 0xD0
        if found != expected:
            return f"restart marker RST{found} where RST{expected} belongs"
        expected = (expected + 1) % 8
    if (
        stop - start >= ZERO_RUN_BYTES
        and not _zero_bits_are_flat(header, state)
        and data.find(bytes(ZERO_RUN_BYTES), start, stop) >= 0
    ):
        return f"a run of over {ZERO_RUN_BYTES} zero bytes inside the image data"
    return None
