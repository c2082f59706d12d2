"""What the readers check before trusting a file: JPEG data that cannot be right, a file
swapped for a FIFO at read time, and the notes and log lines a good file must not cause."""

from __future__ import annotations

import logging
from dataclasses import replace

import numpy as np
from PIL import Image

from tests.conftest import dark_rgb
from tests.test_image_io import gradient16
from zdce_core.deep_colour import write_tiff16
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
