"""Loupe speed: a 12 MP photo's 100 % view rendered from its full-resolution pixels.

    python benchmarks/bench_loupe.py [--threads N] [--repeats N] [--json out.json]

Uses the GUI's thread setting (a worker per core) unless --threads is given. Target
(issue 21): the visible region of a 12 MP photo at 100 % rendered in ≤ 150 ms, in the GUI's
worker, with the default adjustments (auto exposure, scene-aware, low denoise). Views: the
whole compare view in split mode (1200 × 800) and one pane side by side (600 × 800).
Prints medians, and ratios to the full photo's render (the batch's) and to the preview's.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.model import bench_model
from benchmarks.photos import twelve_mp_photos
from benchmarks.report import report
from zdce_core.adjustments import Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.loupe import Region, load_full_photo, render_region
from zdce_core.parallel import set_compute_threads
from zdce_core.pipeline import render_adjusted
from zdce_core.preview import UpsampledMaps, make_preview, render_preview
from zdce_core.render_plan import planned_maps

VIEWS = {"split_1200x800": (1200, 800), "side_by_side_600x800": (600, 800)}


def median_ms(run: Callable[[], object], repeats: int) -> float:
    """The median wall time of ``run()`` in milliseconds."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return round(1000 * statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--model")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    threads = set_compute_threads(args.threads)
    paths = twelve_mp_photos()
    enhancer = Enhancer(bench_model(args.model), "cpu")
    adjustments = Adjustments()
    photo = load_full_photo(enhancer, paths[0])  # warm-up (oneDNN kernels for this shape)
    load_s = []
    for path in paths[1:]:
        t0 = time.perf_counter()
        photo = load_full_photo(enhancer, path)
        load_s.append(time.perf_counter() - t0)
    h, w = photo.size
    results: dict[str, object] = {
        "threads": threads,
        "photo": f"{w}x{h}",
        "full_decode_and_analysis_s": round(statistics.median(load_s), 3),
    }
    t0 = time.perf_counter()
    photo.plan(adjustments)  # once per photo and adjustments (auto exposure, guides)
    results["plan_once_ms"] = round(1000 * (time.perf_counter() - t0), 1)
    for name, (vw, vh) in VIEWS.items():
        regions = [  # centre, a corner, an edge: panning around
            Region((w - vw) // 2, (h - vh) // 2, vw, vh),
            Region(0, 0, vw, vh),
            Region(w - vw, h // 3, vw, vh),
        ]
        ms = [
            median_ms(lambda r=r: render_region(enhancer, photo, adjustments, r), args.repeats)
            for r in regions
        ]
        results[f"region_{name}_median_ms"] = statistics.median(ms)
    full_ms = median_ms(
        lambda: render_adjusted(enhancer, photo.pixels, photo.estimate, adjustments, photo.reduced),
        3,
    )
    results["full_photo_render_ms"] = full_ms
    preview = make_preview(enhancer, paths[1])
    upsampled = UpsampledMaps(planned_maps(preview.maps, adjustments))
    preview_ms = median_ms(
        lambda: render_preview(enhancer, preview, adjustments, upsampled), args.repeats
    )
    results["preview_render_ms"] = preview_ms
    split = results["region_split_1200x800_median_ms"]
    assert isinstance(split, float)
    results["split_region_over_full_render"] = round(split / full_ms, 3)
    results["split_region_over_preview_render"] = round(split / preview_ms, 2)
    results["split_region_over_150ms_target"] = round(split / 150.0, 2)
    report(results, args.json)


if __name__ == "__main__":
    main()
