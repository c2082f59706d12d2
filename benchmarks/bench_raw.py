"""RAW input speed: LibRaw's decode per megapixel (full and half size) beside a JPEG decode of
the same size, and the whole `zdce enhance` on RAW files (16-bit TIFF out) beside JPEG.

python -m benchmarks.bench_raw [--megapixels 24] [--count 3] [--rounds 2] [--json FILE]

The DNGs are synthetic (an RGGB mosaic of a photo-like image, uncompressed, as tests/ writes
them); real camera files add their decompression (lossless JPEG in most DNG/CR2/NEF), so
real decodes are slower than these. Times alternate RAW and JPEG, medians are reported.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import tifffile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_speed import run_enhance
from benchmarks.model import default_or_random_model
from benchmarks.photos import make_photos, photo_like
from benchmarks.report import report
from tests.synthetic import BLACK, WHITE
from zdce_core.image_io import read_image

ZDCE = [sys.executable, "-m", "zdce_core.cli"]


def write_photo_dng(path: Path, width: int, height: int, seed: int) -> Path:
    """A DNG whose mosaic samples a photo-like image (as linear light)."""
    from tests.synthetic import write_dng

    write_dng(path, 16, 16)  # the tags; the pixels are replaced below
    linear = (photo_like(width, height, seed=seed).astype(np.float32) / 255.0) ** 2.2
    mosaic = np.empty((height, width), np.float32)
    mosaic[0::2, 0::2] = linear[0::2, 0::2, 0]
    mosaic[0::2, 1::2] = linear[0::2, 1::2, 1]
    mosaic[1::2, 0::2] = linear[1::2, 0::2, 1]
    mosaic[1::2, 1::2] = linear[1::2, 1::2, 2]
    data = (BLACK + mosaic * (WHITE - BLACK)).astype(np.uint16)
    with tifffile.TiffFile(path) as tif:
        tags = [
            (t.code, t.dtype, t.count, t.value, True)
            for t in tif.pages.first.tags
            if t.code > 50000 or t.code in (33421, 33422)
        ]
    tifffile.imwrite(path, data, photometric=32803, extratags=tags, metadata=None)
    return path


def median_seconds(job, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        job()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels", type=float, default=24.0)
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width = round((args.megapixels * 1e6 * 1.5) ** 0.5 / 2) * 2
    height = round(width / 1.5 / 2) * 2
    mp = width * height / 1e6
    cache = Path(tempfile.gettempdir()) / "zdce-bench-raw"
    cache.mkdir(parents=True, exist_ok=True)
    raws = [
        p if p.exists() else write_photo_dng(p, width, height, i)
        for i, p in enumerate(cache / f"night_{width}x{height}_{i}.dng" for i in range(args.count))
    ]
    jpegs = make_photos(cache / "jpeg", args.count, width, height)
    results: dict[str, object] = {"size": f"{width}x{height} ({mp:.1f} MP)"}
    full = median_seconds(lambda: read_image(raws[0]), 3)
    half = median_seconds(lambda: read_image(raws[0], at_least=1600), 3)
    jpeg = median_seconds(lambda: read_image(jpegs[0]), 3)
    results["raw full decode s"] = round(full, 3)
    results["raw full decode ms/MP"] = round(1000 * full / mp, 1)
    results["raw half-size decode (previews) s"] = round(half, 3)
    results["jpeg decode s"] = round(jpeg, 3)
    results["raw / jpeg decode"] = round(full / jpeg, 2)
    with tempfile.TemporaryDirectory() as tmp:
        model = str(default_or_random_model(Path(tmp)))
        rates: dict[str, list[float]] = {"raw": [], "jpeg": []}
        for r in range(args.rounds):
            for name, inputs in (("raw", raws), ("jpeg", jpegs)):
                out = Path(tmp) / f"{name}{r}"
                cmd = [*ZDCE, "enhance", *map(str, inputs), "-o", str(out), "--model", model]
                run = run_enhance([*cmd, "-q", "-v"])
                rates[name].append(args.count * mp / run.wall_s)
        for name, values in rates.items():
            results[f"whole command MP/s, {name}"] = round(statistics.median(values), 2)
        results["raw / jpeg whole command"] = round(
            statistics.median(rates["raw"]) / statistics.median(rates["jpeg"]), 2
        )
    report(results, args.json)


if __name__ == "__main__":
    main()
