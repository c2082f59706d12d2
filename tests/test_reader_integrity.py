"""What the readers check before trusting a file: JPEG data that cannot be right, a file
swapped for a FIFO at read time, and the notes and log lines a good file must not cause."""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import dark_rgb
from tests.test_image_io import gradient16
from zdce_core.deep_colour import write_tiff16
from zdce_core.errors import ImageReadError
from zdce_core.image_io import read_image, write_image


def test_an_ordinary_24_bit_bmp_gives_no_note(tmp_path):
    """A BMP's row stride of 16 bytes was taken for 16-bit colour (issue 20, new user)."""
    path = tmp_path / "a.bmp"
    Image.fromarray(dark_rgb(20, 16)).save(path)
    photo = read_image(path)
    assert photo.problems == ()
    assert photo.pixels.dtype == np.uint8


def test_sixteen_bit_tiff_and_png_are_still_read_at_full_depth(tmp_path):
    rgb = gradient16(24, 40)
    write_tiff16(tmp_path / "d.tif", rgb)
    photo = read_image(tmp_path / "d.tif")
    assert photo.pixels.dtype == np.uint16 and photo.problems == ()
    np.testing.assert_array_equal(photo.pixels, rgb)


def test_a_sixteen_bit_tiff_write_warns_and_logs_nothing(tmp_path, recwarn, caplog):
    """tifffile logged "not writing extratag 305" when the EXIF had a Software tag."""
    exif = Image.Exif()
    exif[305] = "Camera firmware 1.0"
    exif[271] = "Maker"
    write_tiff16(tmp_path / "d.tif", gradient16(24, 40))
    photo = replace(read_image(tmp_path / "d.tif"), exif=exif.tobytes())
    caplog.set_level(logging.WARNING)
    write_image(tmp_path / "o.tif", photo, "tiff")
    assert not recwarn.list
    assert not caplog.records
    with Image.open(tmp_path / "o.tif") as img:
        assert img.tag_v2.get(305) == "Camera firmware 1.0"


def _read_in_thread(path, timeout_s: float = 10.0) -> BaseException | None:
    """What ``read_image(path)`` raised (``None`` if it returned), failing the test if it
    has not finished after ``timeout_s`` (it would block for good on a FIFO)."""
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_image(path)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    thread.join(timeout_s)
    if thread.is_alive():  # unblock the reader so the test run can end
        with open(path, "wb"):
            pass
        thread.join(timeout_s)
        pytest.fail(f"reading {path.name} blocked")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
@pytest.mark.parametrize("name", ["swapped.jpg", "swapped.png", "swapped.dng"])
def test_a_file_swapped_for_a_fifo_is_refused_at_once(tmp_path, name):
    """Issue 20, item 16: discovery saw a photo; at read time the path is a FIFO."""
    path = tmp_path / name
    os.mkfifo(path)
    started = time.monotonic()
    error = _read_in_thread(path)
    assert isinstance(error, ImageReadError)
    assert str(error) == "not a regular file (a named pipe)"
    assert time.monotonic() - started < 2


def test_a_folder_or_device_at_read_time_is_not_a_regular_file(tmp_path):
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(ImageReadError, match=r"^not a regular file \(a folder\)$"):
        read_image(tmp_path / "dir.jpg")
    if Path("/dev/zero").exists():
        with pytest.raises(ImageReadError, match=r"^not a regular file \(a character device\)"):
            read_image("/dev/zero")
