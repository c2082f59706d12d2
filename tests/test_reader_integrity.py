"""What the readers check before trusting a file: JPEG data that cannot be right, a file
swapped for a FIFO at read time, and the notes and log lines a good file must not cause."""

from __future__ import annotations

import io
import logging
import os
import struct
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.conftest import dark_rgb, save_photo
from tests.test_image_io import gradient16
from zdce_core.cli import main
from zdce_core.deep_colour import write_tiff16
from zdce_core.errors import ImageReadError
from zdce_core.image_io import read_image
from zdce_core.image_write import write_image
from zdce_core.jpeg_integrity import jpeg_damage, jpeg_size_is_possible


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


def _noisy_jpeg(height: int = 300, width: int = 400, **params: object) -> bytes:
    rng = np.random.default_rng(8)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x % 256, y % 256, (x + y) % 256], axis=-1).astype(float)
    rgb = (rgb + rng.normal(0, 20, rgb.shape)).clip(0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", **params)
    return buffer.getvalue()


def sof_patched(data: bytes, width: int = 12000, height: int = 12000) -> bytes:
    """``data`` with its frame header claiming ``width`` × ``height``."""
    at = data.index(b"\xff\xc0") + 5
    return data[:at] + struct.pack(">HH", height, width) + data[at + 4 :]


def zeroed_middle(data: bytes, count: int = 4096) -> bytes:
    """``data`` with ``count`` bytes zeroed in the middle of its entropy-coded data."""
    middle = len(data) // 2
    return data[:middle] + bytes(count) + data[middle + count :]


def test_a_frame_size_the_file_cannot_hold_is_corrupt_jpeg_data(tmp_path):
    """Issue 20, item 8: 12000×12000 in a 60 KB file decoded to a 144 MP grey picture."""
    data = _noisy_jpeg(quality=90)
    assert 40_000 < len(data) < 70_000
    path = tmp_path / "big.jpg"
    path.write_bytes(sof_patched(data))
    started = time.monotonic()
    with pytest.raises(ImageReadError, match=r"^corrupt JPEG data \(12000×12000 pixels"):
        read_image(path)
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("params", [{}, {"optimize": True}, {"quality": 50}])
def test_four_kilobytes_zeroed_mid_file_is_corrupt_jpeg_data(tmp_path, params):
    """Issue 20, item 8: the lower half decoded as magenta garbage."""
    path = tmp_path / "zeroed.jpg"
    path.write_bytes(zeroed_middle(_noisy_jpeg(900, 1200, **params)))
    with pytest.raises(ImageReadError, match=r"^corrupt JPEG data \(.*zero bytes"):
        read_image(path)


def test_random_bytes_mid_file_are_corrupt_jpeg_data(tmp_path):
    data = _noisy_jpeg(900, 1200)
    middle = len(data) // 2
    junk = np.random.default_rng(3).integers(0, 256, 4096, dtype=np.uint8).tobytes()
    path = tmp_path / "junk.jpg"
    path.write_bytes(data[:middle] + junk + data[middle + 4096 :])
    with pytest.raises(ImageReadError, match=r"^corrupt JPEG data \("):
        read_image(path)


def test_restart_markers_out_of_order_are_corrupt_jpeg_data(tmp_path):
    data = bytearray(_noisy_jpeg(240, 320, restart_marker_blocks=4))
    first = data.index(b"\xff\xd0", data.index(b"\xff\xda"))
    second = data.index(b"\xff\xd1", first)
    data[second + 1] = 0xD5
    path = tmp_path / "rst.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageReadError, match=r"RST5 where RST1 belongs"):
        read_image(path)


@pytest.mark.parametrize(
    "params",
    [{}, {"optimize": True}, {"progressive": True}, {"restart_marker_rows": 1}],
)
@pytest.mark.parametrize("flat", [False, True])
def test_good_jpegs_pass_the_integrity_check(params, flat):
    """Flat pictures with optimised tables are the densest JPEGs (all-zero entropy data)."""
    if flat:
        buffer = io.BytesIO()
        Image.new("L", (800, 600), 128).save(buffer, "JPEG", **params)
        data = buffer.getvalue()
    else:
        data = _noisy_jpeg(600, 800, **params)
    assert jpeg_damage(data) is None


def test_the_size_bound_never_refuses_a_real_photo():
    """A smooth 12 MP photo at quality 50 is about 200 KB (60 pixels per byte); the densest
    Huffman JPEG, flat grey with optimised tables, 255 (measured: 800×600 in 1.9 KB)."""
    assert jpeg_size_is_possible(4000, 3000, 200_000)
    assert jpeg_size_is_possible(4000, 3000, 12_000_000 // 512)
    assert jpeg_size_is_possible(8000, 6000, 48_000_000 // 512)
    assert not jpeg_size_is_possible(12000, 12000, 60_000)
    y, x = np.mgrid[0:3000, 0:4000]
    smooth = np.stack([x * 255 // 4000, y * 255 // 3000, (x + y) * 255 // 7000], axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(smooth.astype(np.uint8)).save(buffer, "JPEG", quality=50)
    assert jpeg_damage(buffer.getvalue()) is None


def test_a_batch_goes_on_past_corrupt_jpegs(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    save_photo(folder / "a.jpg")
    save_photo(folder / "d.jpg")
    (folder / "b.jpg").write_bytes(sof_patched(_noisy_jpeg(quality=90)))
    (folder / "c.jpg").write_bytes(zeroed_middle(_noisy_jpeg(900, 1200)))
    assert main(["enhance", str(folder), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.count("corrupt JPEG data") == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "a_enhanced.jpg",
        "d_enhanced.jpg",
    ]
