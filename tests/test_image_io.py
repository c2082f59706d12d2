import io
import os

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms
from PIL.ExifTags import IFD, Base

from tests.conftest import dark_rgb, save_photo
from tests.synthetic import gradient16  # also imported from here by older tests
from zdce_core.deep_colour import write_png16, write_tiff16
from zdce_core.image_io import ImageReadError, Photo, read_image
from zdce_core.image_write import ImageWriteError, write_image

SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def exif_bytes(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[Base.Orientation] = orientation
    exif[Base.Make] = "TestCam"
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "2024:05:06 07:08:09"
    return exif.tobytes()


def test_exif_orientation_is_applied_and_reset(tmp_path):
    rgb = dark_rgb(30, 50)
    path = save_photo(tmp_path / "rot.jpg", rgb, exif=exif_bytes(6), quality=100)
    photo = read_image(path)
    assert photo.pixels.shape == (50, 30, 3)  # rotated 90° clockwise
    exif = Image.Exif()
    exif.load(photo.exif)
    assert exif[Base.Orientation] == 1 and exif[Base.Make] == "TestCam"


def test_a_jpeg_preview_is_decoded_at_reduced_scale_with_its_size_in_the_file(tmp_path):
    rgb = dark_rgb(240, 400)
    path = save_photo(tmp_path / "rot.jpg", rgb, exif=exif_bytes(6), quality=95)
    full = read_image(path)
    small = read_image(path, at_least=150)
    assert small.pixels.shape == (200, 120, 3)  # 1/2 scale: 1/4 would be 100 × 60, too small
    assert small.full_size == full.full_size == (400, 240)  # turned by the orientation
    scaled_down = np.asarray(Image.fromarray(full.pixels).reduce(2), dtype=float)
    assert np.abs(small.pixels - scaled_down).mean() < 2.0
    png = read_image(save_photo(tmp_path / "p.png", rgb), at_least=150)
    assert png.pixels.shape == (240, 400, 3) and png.file_size is None


def test_metadata_survives_a_write(tmp_path):
    path = save_photo(tmp_path / "in.jpg", exif=exif_bytes(1), icc_profile=SRGB, dpi=(300, 300))
    photo = read_image(path)
    for fmt, name in [("jpeg", "o.jpg"), ("png", "o.png"), ("tiff", "o.tif"), ("webp", "o.webp")]:
        out = write_image(tmp_path / name, photo, fmt)
        with Image.open(out) as img:
            assert img.info.get("icc_profile") == SRGB, fmt
            exif = img.getexif()
            assert exif[Base.Make] == "TestCam", fmt
            assert exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] == "2024:05:06 07:08:09", fmt


def test_metadata_can_be_dropped(tmp_path):
    photo = read_image(save_photo(tmp_path / "in.jpg", exif=exif_bytes(1), icc_profile=SRGB))
    out = write_image(tmp_path / "o.jpg", photo, "jpeg", keep_metadata=False)
    with Image.open(out) as img:
        assert "icc_profile" not in img.info and len(img.getexif()) == 0


def test_rgba_alpha_is_kept(tmp_path):
    rgba = np.dstack([dark_rgb(), np.tile(np.arange(64, dtype=np.uint8) * 4, (48, 1))])
    photo = read_image(save_photo(tmp_path / "a.png", rgba))
    assert photo.alpha is not None and not photo.grayscale
    out = write_image(tmp_path / "o.png", photo.with_pixels(255 - photo.pixels), "png")
    back = np.asarray(Image.open(out))
    assert back.shape == (48, 64, 4)
    assert np.array_equal(back[:, :, 3], rgba[:, :, 3])
    assert np.array_equal(back[:, :, :3], 255 - rgba[:, :, :3])


def test_grayscale_stays_grayscale(tmp_path):
    gray = dark_rgb()[:, :, 0]
    photo = read_image(save_photo(tmp_path / "g.png", gray))
    assert photo.grayscale and photo.pixels.shape == (48, 64, 3)
    assert np.array_equal(photo.pixels[:, :, 1], gray)
    with Image.open(write_image(tmp_path / "o.png", photo, "png")) as img:
        assert img.mode == "L" and np.array_equal(np.asarray(img), gray)


def test_gray_with_alpha(tmp_path):
    la = np.dstack([dark_rgb()[:, :, 0], np.full((48, 64), 128, np.uint8)])
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    photo = read_image(tmp_path / "la.png")
    assert photo.grayscale and photo.alpha is not None and int(photo.alpha[0, 0]) == 128
    with Image.open(write_image(tmp_path / "o.png", photo, "png")) as img:
        assert img.mode == "LA"


def test_sixteen_bit_gray_round_trip(tmp_path):
    gray16 = (np.linspace(0, 65535, 48 * 64).reshape(48, 64)).astype(np.uint16)
    Image.fromarray(gray16).save(tmp_path / "g16.png")
    photo = read_image(tmp_path / "g16.png")
    assert photo.bit_depth == 16 and photo.grayscale
    assert np.array_equal(photo.pixels[:, :, 0], gray16)
    for fmt, name in [("png", "o.png"), ("tiff", "o.tif")]:
        with Image.open(write_image(tmp_path / name, photo, fmt)) as img:
            assert img.mode.startswith("I;16"), fmt
            assert np.array_equal(np.asarray(img), gray16), fmt
    with Image.open(write_image(tmp_path / "o.jpg", photo, "jpeg")) as img:
        assert img.mode == "L"


def test_cmyk_is_converted(tmp_path):
    Image.fromarray(dark_rgb()).convert("CMYK").save(tmp_path / "c.jpg")
    photo = read_image(tmp_path / "c.jpg")
    assert photo.pixels.shape == (48, 64, 3) and photo.pixels.dtype == np.uint8
    assert photo.icc_profile is None


def test_palette_with_transparency(tmp_path):
    img = Image.fromarray(dark_rgb()).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    img.info["transparency"] = 0
    img.save(tmp_path / "p.png", transparency=0)
    photo = read_image(tmp_path / "p.png")
    assert photo.alpha is not None and photo.pixels.shape == (48, 64, 3)


@pytest.mark.parametrize("fmt", ["BMP", "WEBP", "TIFF"])
def test_other_input_formats(tmp_path, fmt):
    path = tmp_path / f"x.{fmt.lower()}"
    Image.fromarray(dark_rgb()).save(
        path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {})
    )
    assert np.array_equal(read_image(path).pixels, dark_rgb())


def test_corrupt_and_non_images_are_refused(tmp_path):
    (tmp_path / "text.jpg").write_text("not an image")
    with pytest.raises(ImageReadError, match="not an image"):
        read_image(tmp_path / "text.jpg")
    data = io.BytesIO()
    Image.fromarray(dark_rgb(200, 200)).save(data, "JPEG")
    (tmp_path / "cut.jpg").write_bytes(data.getvalue()[: len(data.getvalue()) // 2])
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(tmp_path / "cut.jpg")
    with pytest.raises(ImageReadError, match="not found"):
        read_image(tmp_path / "missing.png")


def test_decompression_bomb_is_refused(tmp_path, monkeypatch):
    path = save_photo(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    with pytest.raises(ImageReadError, match="too large"):
        read_image(path)


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    photo = read_image(save_photo(tmp_path / "in.png"))

    def explode(self, fp, *args, **kwargs):
        with open(fp, "wb") as f:
            f.write(b"half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", explode)
    with pytest.raises(ImageWriteError, match="No space left"):
        write_image(tmp_path / "out.png", photo, "png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.png"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_folder(tmp_path):
    photo = read_image(save_photo(tmp_path / "in.png"))
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    with pytest.raises(ImageWriteError, match="permission denied"):
        write_image(locked / "o.png", photo, "png")


def test_destination_that_is_not_a_folder(tmp_path):
    photo = read_image(save_photo(tmp_path / "in.png"))
    (tmp_path / "blocker").write_text("a file where a folder should be")
    with pytest.raises(ImageWriteError, match="cannot write"):
        write_image(tmp_path / "blocker" / "o.png", photo, "png")


@pytest.mark.parametrize("fmt", ["png", "tiff"])
@pytest.mark.parametrize("alpha", [False, True])
def test_sixteen_bit_colour_round_trips_at_full_depth(tmp_path, fmt, alpha):
    rgb = gradient16()
    source = tmp_path / f"in.{fmt}"
    pixels = np.dstack([rgb, np.full(rgb.shape[:2], 40_000, np.uint16)]) if alpha else rgb
    if fmt == "png":
        write_png16(source, pixels, 3)
    else:
        tifffile.imwrite(
            source, pixels, photometric="rgb", extrasamples=["unassalpha"] if alpha else None
        )
    photo = read_image(source)
    assert photo.bit_depth == 16 and not photo.problems
    assert np.array_equal(photo.pixels, rgb)
    assert all(len(np.unique(photo.pixels[:, :, c])) > 256 for c in range(3))
    assert (photo.alpha is not None) == alpha
    out = write_image(tmp_path / f"out.{fmt}", photo, fmt)
    again = read_image(out)
    assert again.bit_depth == 16 and np.array_equal(again.pixels, rgb)
    if alpha:
        assert again.alpha is not None and int(again.alpha.max()) == 40_000


def test_sixteen_bit_png_keeps_orientation_profile_and_exif(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # turned: the stored image is on its side
    exif[0x010F] = "Nightcam"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    rgb = gradient16(20, 30)
    write_png16(tmp_path / "in.png", rgb, 3, profile, exif.tobytes(), (300.0, 300.0))
    photo = read_image(tmp_path / "in.png")
    assert photo.pixels.shape == (30, 20, 3) and photo.bit_depth == 16
    assert np.array_equal(photo.pixels, np.ascontiguousarray(rgb.swapaxes(0, 1)[:, ::-1]))
    assert photo.icc_profile == profile and photo.dpi == pytest.approx((300, 300), abs=0.1)
    out = read_image(write_image(tmp_path / "out.png", photo, "png"))
    with Image.open(tmp_path / "out.png") as img:
        written = img.getexif()
    assert written[0x010F] == "Nightcam" and written.get(0x0112, 1) == 1
    assert out.icc_profile == profile and out.pixels.shape == (30, 20, 3)


def test_sixteen_bit_tiff_carries_the_capture_tags(tmp_path):
    exif = Image.Exif()
    exif[0x010F], exif[0x0110] = "Nightcam", "NC-1"
    settings = exif.get_ifd(0x8769)
    settings[33434] = 1 / 30  # ExposureTime
    settings[34855] = 3200  # ISO
    settings[42036] = "50mm f/1.8"
    rgb = gradient16(8, 8)
    write_tiff16(tmp_path / "o.tif", rgb, exif=exif.tobytes())
    with tifffile.TiffFile(tmp_path / "o.tif") as tif:
        tags = tif.pages[0].tags
        assert tags["Make"].value == "Nightcam" and tags["Model"].value == "NC-1"
        assert tags["ExposureTime"].value == (1, 30) and tags[34855].value == 3200
        assert tags[42036].value == "50mm f/1.8"
        assert tags["Compression"].value == 8  # zlib


def test_a_16_bit_gradient_enhanced_in_16_bit_has_no_banding(tmp_path):
    from tests.conftest import brightening_net
    from zdce_core.adjustments import FIXED_FULL
    from zdce_core.enhancer import Enhancer
    from zdce_core.pipeline import enhance_photo
    from zdce_core.weights import LoadedModel

    enhancer = Enhancer(LoadedModel(brightening_net()), "cpu")
    deep = gradient16()  # 600 columns, 0 to 16 % of full scale
    result = enhance_photo(enhancer, deep, FIXED_FULL).pixels
    photo = Photo(result, None, False, "PNG")
    written = read_image(write_image(tmp_path / "g.png", photo, "png")).pixels[16, :, 1]
    eight = enhance_photo(enhancer, (deep // 257).astype(np.uint8), FIXED_FULL).pixels[16, :, 1]
    steps16 = np.abs(np.diff(written.astype(np.float64) / 257.0))  # in 8-bit levels
    steps8 = np.abs(np.diff(eight.astype(np.float64)))
    assert len(np.unique(written)) == 600 and len(np.unique(eight)) < 60
    assert steps16.max() < 2.0 and steps8.max() >= 10.0  # 8-bit steps stretched into bands


def test_heic_when_pillow_heif_is_installed(tmp_path):
    pytest.importorskip("pillow_heif")
    from zdce_core.discovery import FoundFile
    from zdce_core.outputs import OutputOptions, output_path

    Image.fromarray(dark_rgb()).save(tmp_path / "phone.heic", quality=95)
    photo = read_image(tmp_path / "phone.heic")
    assert photo.source_format == "HEIF" and photo.pixels.shape == (48, 64, 3)
    out = output_path(FoundFile(tmp_path / "phone.heic", None), OutputOptions(tmp_path / "o"))
    assert out.name == "phone_enhanced.jpg"
