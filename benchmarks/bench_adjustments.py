"""What auto exposure, highlight protection and denoising add to the time of one photo.

    python -m benchmarks.bench_adjustments [--megapixels 12] [--rounds 5] [--json FILE]

Times the whole per-photo pipeline (estimate, choose the strength, prepare denoising,
render) without decode/encode, on a generated photo-like image, for the plain Zero-DCE
rendering, for each added step, and for the scene-aware rendering (the default) against the
per-channel one it replaced; the variants run interleaved, round after round, so a
busy machine slows them alike. Prints the median time of each and its ratio to the plain one.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from benchmarks.photos import photo_like
from benchmarks.report import report
from zdce_core.adjustments import FIXED_FULL, Adjustments, Denoise
from zdce_core.enhancer import Enhancer
from zdce_core.model_store import open_model
from zdce_core.parallel import compute_threads
from zdce_core.pipeline import enhance_photo

PER_CHANNEL = "per-channel curves, low denoise (--no-scene-aware)"
VARIANTS = {
    "plain (strength 8)": FIXED_FULL,
    "+ auto exposure": Adjustments(
        protect_highlights=False, denoise=Denoise.OFF, scene_aware=False
    ),
    "+ highlight protection": Adjustments(denoise=Denoise.OFF, scene_aware=False),
    PER_CHANNEL: Adjustments(scene_aware=False),
    "scene-aware, low denoise (default)": Adjustments(),
    "scene-aware, denoise medium": Adjustments(denoise=Denoise.MEDIUM),
    "scene-aware, denoise high": Adjustments(denoise=Denoise.HIGH),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--megapixels", type=float, default=12.0)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--model", default=None, help="model (default: the bundled one)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    width = round((a.megapixels * 1e6 * 4 / 3) ** 0.5)
    height = round(width * 3 / 4)
    pixels = photo_like(width, height)  # a dark photo
    enhancer = Enhancer(open_model(a.model), "cpu")
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for adjustments in VARIANTS.values():  # warm-up
        enhance_photo(enhancer, pixels, adjustments)
    for _ in range(a.rounds):
        for name, adjustments in VARIANTS.items():
            t0 = time.perf_counter()
            enhance_photo(enhancer, pixels, adjustments)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["plain (strength 8)"])
    results: dict[str, object] = {
        "image": f"{width}x{height} ({width * height / 1e6:.1f} MP), workers "
        f"{compute_threads()}, model {enhancer.model.arch}",
    }
    per_channel = statistics.median(times[PER_CHANNEL])
    for name, values in times.items():
        median = statistics.median(values)
        results[name] = (
            f"{median * 1000:.0f} ms, ×{median / base:.2f} of plain, "
            f"×{median / per_channel:.2f} of per-channel"
        )
    report(results, a.json)


if __name__ == "__main__":
    main()
