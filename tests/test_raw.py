"""Camera RAW input: synthetic DNGs through image_io, the batch and the CLI."""

import numpy as np
import pytest
import tifffile
from PIL import Image

from tests.raw_samples import write_dng
from zdce_core.cli import main
from zdce_core.discovery import discover
from zdce_core.image_io import ImageReadError, read_image
from zdce_core.raw_io import NO_METADATA, WhiteBalance


def reddish(px: np.ndarray) -> bool:
    return int(px[0]) > int(px[2])


@pytest.mark.parametrize(
    ("orientation", "shape", "red_at"),
    [(1, (64, 96), (16, 24)), (3, (64, 96), (48, 72)), (6, (96, 64), (24, 16))],
)
def test_a_dng_is_developed_upright_in_16_bit_with_its_colours(
    tmp_path, orientation, shape, red_at
):
    photo = read_image(write_dng(tmp_path / "shot.dng", orientation=orientation))
    assert photo.pixels.shape == (*shape, 3) and photo.pixels.dtype == np.uint16
    assert photo.source_format == "RAW" and photo.alpha is None and not photo.grayscale
    h, w = shape
    red, blue = photo.pixels[red_at], photo.pixels[h - 1 - red_at[0], w - 1 - red_at[1]]
    assert reddish(red) and not reddish(blue)  # the red half stays red, where it was shot


def test_capture_metadata_is_kept(tmp_path):
    photo = read_image(write_dng(tmp_path / "shot.dng"))
    exif = Image.Exif()
    exif.load(photo.exif)
    settings = exif.get_ifd(0x8769)
    assert exif[271] == "Nightcam" and exif[272] == "NC-1"
    assert float(settings[33434]) == pytest.approx(1 / 30) and settings[34855] == 3200
    assert settings[42036] == "50mm f/1.8" and settings[36867] == "2026:11:26 21:30:00"
    bare = read_image(write_dng(tmp_path / "bare.dng", capture=False))
    assert bare.problems == (NO_METADATA,) and bare.exif is None


def test_previews_use_a_half_size_decode(tmp_path):
    path = write_dng(tmp_path / "shot.dng", 128, 192)
    preview = read_image(path, at_least=80)
    assert preview.pixels.shape == (64, 96, 3) and preview.full_size == (128, 192)
    assert read_image(path, at_least=150).pixels.shape == (128, 192, 3)  # half would be short


def test_white_balance_choices_develop_differently(tmp_path):
    path = write_dng(tmp_path / "shot.dng")
    camera = read_image(path, white_balance=WhiteBalance.CAMERA).pixels
    auto = read_image(path, white_balance=WhiteBalance.AUTO).pixels
    assert camera.shape == auto.shape and not np.array_equal(camera, auto)


def test_bad_raw_files_fail_with_a_reason(tmp_path):
    (tmp_path / "text.nef").write_text("not a raw file")
    with pytest.raises(ImageReadError, match="not a RAW file"):  # unsupported or unreadable
        read_image(tmp_path / "text.nef")
    good = write_dng(tmp_path / "good.dng").read_bytes()
    (tmp_path / "cut.dng").write_bytes(good[: len(good) // 3])
    with pytest.raises(ImageReadError):
        read_image(tmp_path / "cut.dng")


def test_enhance_writes_16_bit_tiff_for_same_and_8_bit_jpeg_with_metadata(
    tmp_path, bright_model_file, capsys
):
    (tmp_path / "in").mkdir()
    write_dng(tmp_path / "in" / "night.dng")
    (tmp_path / "in" / "broken.cr2").write_bytes(b"\x00" * 100)
    found, _ = discover([tmp_path / "in"])
    assert sorted(f.path.name for f in found) == ["broken.cr2", "night.dng"]
    args = ["enhance", str(tmp_path / "in"), "--model", str(bright_model_file)]
    assert main([*args, "-o", str(tmp_path / "same")]) == 1  # broken.cr2 fails
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if line.startswith("failed ")]
    assert len(failed) == 1 and "broken.cr2" in failed[0]
    with tifffile.TiffFile(tmp_path / "same" / "night_enhanced.tif") as tif:
        page = tif.pages.first
        assert page.dtype == np.uint16 and page.shape == (64, 96, 3)
        assert page.tags["Make"].value == "Nightcam" and page.tags[42036].value == "50mm f/1.8"
    assert main([*args, "-o", str(tmp_path / "jpeg"), "--format", "jpeg"]) == 1
    with Image.open(tmp_path / "jpeg" / "night_enhanced.jpg") as img:
        assert img.mode == "RGB" and img.size == (96, 64)
        assert img.getexif()[271] == "Nightcam"
        assert img.getexif().get_ifd(0x8769)[34855] == 3200


def test_raw_files_are_found_in_folders(tmp_path):
    for name in ("a.DNG", "b.nef", "c.cr3", "d.arw", "e.raf"):
        (tmp_path / name).write_bytes(b"")
    found, ignored = discover([tmp_path])
    assert len(found) == 5 and not ignored
