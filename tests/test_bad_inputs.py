"""A generated corpus of bad and odd inputs through `zdce enhance`, as a user would run it:
each case gets its outcome, one message line naming the file, no leftovers, and the
originals stay byte-identical while the batch goes on."""

import hashlib
import io
import os
import struct
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image
from PIL.ExifTags import Base

from tests.conftest import dark_rgb
from tests.test_discovery import refuse_listing
from tests.test_image_io import gradient16
from zdce_core.atomic import temporary_name
from zdce_core.cli import main
from zdce_core.deep_colour import write_png16
from zdce_core.image_io import HEIF_AVAILABLE

CORRUPT_EXIF = b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x0f\x00\x02\x00\x00\x00\x20\x00"


def jpeg_bytes(rgb: np.ndarray, **params: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", **params)
    return buffer.getvalue()


def cmyk_jpeg(rgb: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).convert("CMYK").save(buffer, format="JPEG")
    return buffer.getvalue()


def png_bytes(img: Image.Image, **params: object) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", **params)
    return buffer.getvalue()


def bomb_png() -> bytes:
    """A valid PNG header claiming 100000 × 100000 pixels (Pillow's limit refuses it)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1000)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def corrupt_heic(rgb: np.ndarray) -> bytes:
    """A HEIC whose coded data starts with a wrong byte: pillow-heif opens it, and its
    decoder fails with ``EOFError`` ("Unexpected end of file"), which once stopped a batch."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="HEIF")
    data = bytearray(buffer.getvalue())
    data[data.index(b"mdat") + 4] = 0xFF
    return bytes(data)


def orientation(value: int) -> bytes:
    exif = Image.Exif()
    exif[Base.Orientation] = value
    return exif.tobytes()


def make_corpus(folder: Path) -> dict[str, str]:
    """Write the cases; returns file name → expected outcome (done, failed or skipped)."""
    folder.mkdir()
    rgb = dark_rgb(48, 64)
    good_jpeg = jpeg_bytes(rgb)
    good_png = png_bytes(Image.fromarray(rgb))
    cases = {
        "empty.jpg": (b"", "failed"),
        "truncated.jpg": (good_jpeg[: len(good_jpeg) // 2], "failed"),
        "truncated.png": (good_png[: len(good_png) // 2], "failed"),
        "random.jpg": (np.random.default_rng(0).bytes(4000), "failed"),
        "text.jpg": (b"shopping list: milk, eggs\n", "failed"),
        "png named.jpg": (good_png, "done"),
        "bomb.png": (bomb_png(), "failed"),
        "one pixel.png": (png_bytes(Image.fromarray(rgb[:1, :1])), "done"),
        "one row.png": (png_bytes(Image.fromarray(dark_rgb(1, 300))), "done"),
        "cmyk.jpg": (cmyk_jpeg(rgb), "done"),
        "gray16.png": (png_bytes(Image.fromarray(rgb[:, :, 0].astype(np.uint16) * 257)), "done"),
        "palette.png": (
            png_bytes(Image.fromarray(rgb).convert("P"), transparency=0),
            "done",
        ),
        "rgba.png": (png_bytes(Image.fromarray(rgb).convert("RGBA")), "done"),
        "la.png": (png_bytes(Image.fromarray(rgb).convert("LA")), "done"),
        "bits.png": (png_bytes(Image.fromarray(rgb).convert("1")), "done"),
        "float.tif": (None, "failed"),
        "pages.tif": (None, "done"),
        "bad exif.jpg": (jpeg_bytes(rgb, exif=CORRUPT_EXIF), "done"),
        "nuit é 夜.jpg": (good_jpeg, "done"),
        "-dash.jpg": (good_jpeg, "done"),
        **{f"turned {v}.jpg": (jpeg_bytes(rgb, exif=orientation(v)), "done") for v in range(2, 9)},
    }
    if HEIF_AVAILABLE:
        cases["corrupt.heic"] = (corrupt_heic(rgb), "failed")
    for name, (data, _) in cases.items():
        if data is not None:
            (folder / name).write_bytes(data)
    Image.fromarray(rgb[:, :, 0].astype(np.float32)).save(folder / "float.tif")
    frames = [Image.fromarray(dark_rgb(48, 64, seed=s)) for s in range(3)]
    frames[0].save(folder / "pages.tif", save_all=True, append_images=frames[1:])
    for name in ("animated.gif", "animated gif.jpg"):  # GIF is not a photo format we read
        frames[0].save(folder / name, "GIF", save_all=True, append_images=frames[1:], loop=0)
    write_png16(folder / "rgb16.png", gradient16(48, 64), 3)
    outcomes = {name: outcome for name, (_, outcome) in cases.items()}
    outcomes |= {"animated.gif": "skipped", "animated gif.jpg": "failed", "rgb16.png": "done"}
    (folder / "x.jpg").mkdir()  # a folder with an image's name: walked, holds nothing
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.jpg")
        outcomes["pipe.jpg"] = "skipped"
    if hasattr(os, "symlink"):
        (folder / "loop.jpg").symlink_to(folder / "loop.jpg")
        outcomes["loop.jpg"] = "skipped"
        (folder / "link.jpg").symlink_to(folder / "nuit é 夜.jpg")
        outcomes["link.jpg"] = "done"
        (folder / "sub").mkdir()
        (folder / "sub" / "back").symlink_to(folder, target_is_directory=True)  # a folder loop
    (folder / "locked").mkdir()  # refused by the test: "skipped …/locked: permission denied"
    (folder / "locked" / "hidden from us.jpg").write_bytes(good_jpeg)
    outcomes["locked"] = "skipped"
    return outcomes


REASONS = {
    "bomb.png": "too large",
    "float.tif": "floating-point",
    "truncated.png": "truncated",
    "pipe.jpg": "FIFO",
    "loop.jpg": "loops back",
    "animated.gif": "not an image",
    "animated gif.jpg": "GIF",
    "corrupt.heic": "corrupt or truncated image",
    "locked": "permission denied",
}


def plant_temporaries(out: Path) -> list[Path]:
    """Hidden ``.part`` files in the output folder before the run: the user's own, two hours
    old, which must stay, and one a killed run of ours left (its writer gone), which goes.
    Returns the user's files."""
    out.mkdir()
    old = time.time() - 2 * 3600
    users = [out / ".thesis.20240101.part", out / ".My Backup.download.part"]
    for path in users:
        path.write_bytes(b"the user's own")
        os.utime(path, (old, old))
    (out / temporary_name("x_enhanced.jpg", pid=2**22 + 1)).write_bytes(b"half a jpeg")
    return users


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.iterdir()
        if p.is_file() and not p.is_symlink() and not p.is_fifo()
    }


def test_bad_and_odd_inputs(tmp_path, capsys, monkeypatch):
    src, out = tmp_path / "in", tmp_path / "out"
    outcomes = make_corpus(src)
    refuse_listing(monkeypatch, src / "locked")  # as for a user without read permission
    users = plant_temporaries(out)
    before = digests(src)
    assert main(["enhance", str(src), "-o", str(out), "--recursive", "--flat"]) == 1
    err = capsys.readouterr().err.splitlines()
    assert digests(src) == before  # no original touched
    assert sorted(out.glob(".*")) == sorted(users)  # no temporary left; the user's files kept
    assert all(p.read_bytes() == b"the user's own" for p in users)
    written = {p.name for p in out.iterdir()} - {p.name for p in users}
    for name, outcome in outcomes.items():
        stem = Path(name).stem
        lines = [line for line in err if f"/{name}:" in line and "note" not in line]
        if outcome == "done":
            assert any(w.startswith(f"{stem}_enhanced") for w in written), name
            assert not lines, lines
        else:
            assert len(lines) == 1, (name, lines)  # one plain line naming the file
            assert lines[0].startswith(f"{outcome} "), lines[0]
            if name in REASONS:
                assert REASONS[name] in lines[0], lines[0]
            assert "Traceback" not in lines[0] and "Errno" not in lines[0]
            assert not any(w.startswith(f"{stem}_enhanced") for w in written), name
    for path in (out / name for name in written):  # every output decodes
        with Image.open(path) as img:
            img.load()
    assert len(written) == sum(o == "done" for o in outcomes.values())


def test_unreadable_paths_named_directly_are_one_line_each_and_fail_the_run(tmp_path, capsys):
    good = tmp_path / "good.jpg"
    good.write_bytes(jpeg_bytes(dark_rgb(48, 64)))
    named = {"missing.jpg": "no such file"}
    if hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.jpg")
        named["pipe.jpg"] = "FIFO"
    if hasattr(os, "symlink"):
        (tmp_path / "loop.jpg").symlink_to(tmp_path / "loop.jpg")
        (tmp_path / "broken.jpg").symlink_to(tmp_path / "gone.jpg")
        named |= {"loop.jpg": "loops back", "broken.jpg": "broken symlink"}
    paths = [str(tmp_path / name) for name in named]
    assert main(["enhance", *paths, str(good), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.splitlines()
    for name, reason in named.items():
        lines = [line for line in err if f"/{name}:" in line]
        assert len(lines) == 1 and lines[0].startswith("skipped ") and reason in lines[0], lines
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["good_enhanced.jpg"]


def test_unreadable_folders_are_one_line_each_and_fail_the_run(tmp_path, capsys, monkeypatch):
    """A folder the system will not list, met under ``-r`` or named directly: one line with
    the reason, the other photos done, exit 1, no traceback (issue 20, item 7)."""
    src = (tmp_path / "in").resolve()
    for name in ("a.jpg", "open/b.jpg", "locked/c.jpg"):
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_bytes(jpeg_bytes(dark_rgb(48, 64)))
    refuse_listing(monkeypatch, src / "locked")
    out = tmp_path / "out"
    assert main(["enhance", str(src), "-o", str(out), "--recursive"]) == 1
    err = capsys.readouterr().err
    assert f"skipped {src / 'locked'}: permission denied" in err.splitlines()
    assert "Traceback" not in err and "Errno" not in err
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == ["a_enhanced.jpg", "open/b_enhanced.jpg"]
    for recursive in ([], ["--recursive"]):
        assert main(["enhance", str(src / "locked"), "-o", str(out), *recursive]) == 1
        assert capsys.readouterr().err.splitlines() == [
            f"skipped {src / 'locked'}: permission denied",
            "zdce: no images to enhance",
        ]
