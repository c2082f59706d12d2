"""Seeded fuzzing of the photo readers: a damaged file is a photo or an ImageReadError with
its reason, never another exception (which would stop a whole batch) and never a hang."""

import faulthandler
import io
import random
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PIL.ExifTags import Base

from tests.conftest import dark_rgb
from tests.test_image_io import gradient16
from zdce_core.deep_colour import write_png16, write_tiff16
from zdce_core.image_io import HEIF_AVAILABLE, ImageReadError, read_image

SEED = 20
MUTANTS_PER_SOURCE = 40
SLOWEST_READ_S = 10.0
"""A read taking longer is a hang (the slowest mutant here takes well under a second)."""
HANG_GUARD_S = 120
"""If a decoder never returns, the test run is ended after this long with a traceback."""


def encoded(fmt: str, rgb: np.ndarray, **params: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, **params)
    return buffer.getvalue()


def sources(folder: Path) -> dict[str, bytes]:
    """Small valid files in every format we read: file name → bytes."""
    rgb = dark_rgb(24, 32)
    exif = Image.Exif()
    exif[Base.Orientation] = 6
    files = {
        "plain.jpg": encoded("JPEG", rgb),
        "exif.jpg": encoded("JPEG", rgb, exif=exif.tobytes(), progressive=True),
        "plain.png": encoded("PNG", rgb),
        "alpha.png": encoded("PNG", np.dstack([rgb, rgb[:, :, :1]])),
        "plain.tif": encoded("TIFF", rgb),
        "deflate.tif": encoded("TIFF", rgb, compression="tiff_deflate"),
        "lossy.webp": encoded("WEBP", rgb),
        "lossless.webp": encoded("WEBP", rgb, lossless=True),
        "plain.bmp": encoded("BMP", rgb),
    }
    if HEIF_AVAILABLE:
        files["phone.heic"] = encoded("HEIF", rgb)
    write_png16(folder / "deep.png", gradient16(24, 32), 3)  # read through deep_colour
    write_tiff16(folder / "deep.tif", gradient16(24, 32))
    files |= {name: (folder / name).read_bytes() for name in ("deep.png", "deep.tif")}
    return files


def mutant(data: bytes, rng: random.Random) -> bytes:
    """``data`` with one to four random changes: a byte replaced, the end cut off, or a few
    random bytes inserted."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        change = rng.random()
        if change < 0.5 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif change < 0.7:
            del out[rng.randrange(len(out) + 1) :]
        else:
            at = rng.randrange(len(out) + 1)
            out[at:at] = rng.randbytes(rng.randint(1, 8))
    return bytes(out)


def test_a_damaged_file_is_read_or_refused_with_a_reason(tmp_path):
    originals = sources(tmp_path)
    for name, data in originals.items():  # the sources themselves are good
        (tmp_path / name).write_bytes(data)
        assert read_image(tmp_path / name).pixels.shape[:2] in ((24, 32), (32, 24)), name
    rng = random.Random(SEED)
    wrong: list[str] = []
    outcomes = {"read": 0, "refused": 0}
    slowest = 0.0
    faulthandler.dump_traceback_later(HANG_GUARD_S, exit=True)
    try:
        for name, data in originals.items():
            for i in range(MUTANTS_PER_SOURCE):
                path = tmp_path / f"m{i}-{name}"
                path.write_bytes(mutant(data, rng))
                at_least = 8 if i % 4 == 0 else None  # JPEG previews decode at reduced scale
                start = time.perf_counter()
                try:
                    read_image(path, at_least=at_least)
                    outcomes["read"] += 1
                except ImageReadError as exc:
                    outcomes["refused"] += 1
                    if not str(exc).strip() or "\n" in str(exc):  # not one line of reason
                        wrong.append(f"{path.name}: ImageReadError: {exc!r}")
                except Exception as exc:  # what the test is looking for: keep going, list all
                    wrong.append(f"{path.name}: {type(exc).__name__}: {exc!r}")
                slowest = max(slowest, time.perf_counter() - start)
                path.unlink()
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert not wrong, "\n".join(wrong)
    assert slowest < SLOWEST_READ_S
    assert outcomes["refused"] > 0 and outcomes["read"] > 0  # the mutants hit both ways


def test_a_programming_error_is_not_reported_as_a_corrupt_file(tmp_path, monkeypatch):
    """Only what decoders raise for bad data becomes an ImageReadError."""
    path = tmp_path / "good.png"
    path.write_bytes(encoded("PNG", dark_rgb(24, 32)))

    def broken(*_args: object) -> None:
        raise TypeError("a bug")

    monkeypatch.setattr("zdce_core.image_io._to_arrays", broken)
    with pytest.raises(TypeError, match="a bug"):
        read_image(path)
