"""Preview speed: estimating a new 12 MP photo, and re-rendering after a slider move.

    python benchmarks/bench_preview.py [--threads N] [--json out.json]

Uses the GUI's thread setting (a worker per core) unless --threads is given. Targets on the
2-core CPU (issue 10): re-render after a slider move ≤ 33 ms at the 95th percentile (while the
slider moves the app renders a draft, half the preview's size; the full 1600-pixel preview
once it rests); a new 12 MP photo shown enhanced ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.model import bench_model
from benchmarks.photos import twelve_mp_photos
from benchmarks.report import report
from zdce_core.adjustments import FIXED_FULL, Adjustments
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import read_image
from zdce_core.parallel import set_compute_threads
from zdce_core.preview import UpsampledMaps, draft_of, make_preview, render_preview
from zdce_core.render_plan import planned_maps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--model")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    threads = set_compute_threads(args.threads)
    paths = twelve_mp_photos()
    enhancer = Enhancer(bench_model(args.model), "cpu")
    make_preview(enhancer, paths[0])  # warm-up (oneDNN kernels for this shape)
    read_s, preview_s, shown_s = [], [], []
    for path in paths[1:]:
        t0 = time.perf_counter()
        read_image(path)  # the batch's full decode, for comparison
        t1 = time.perf_counter()
        preview = make_preview(enhancer, path)  # the app's: reduced-scale JPEG decode
        t2 = time.perf_counter()
        render_preview(enhancer, preview, Adjustments())  # auto exposure, as first shown
        t3 = time.perf_counter()
        read_s.append(t1 - t0)
        preview_s.append(t2 - t1)
        shown_s.append(t3 - t1)
    t0 = time.perf_counter()
    # once per preview shown, in the GUI's worker
    upsampled = UpsampledMaps(planned_maps(preview.maps, Adjustments()))
    upsampled_plain = UpsampledMaps(preview.maps)
    upsample_s = time.perf_counter() - t0
    draft = draft_of(preview)
    upsampled_draft = UpsampledMaps(planned_maps(draft.maps, Adjustments()))
    renders, drafts, plain, uncached = [], [], [], []
    for i in range(30):
        strength = 8.0 - (i % 16) * 0.5  # slider moves: manual strengths, default denoise
        t0 = time.perf_counter()
        render_preview(enhancer, preview, Adjustments(strength), upsampled)
        renders.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_preview(enhancer, draft, Adjustments(strength), upsampled_draft)
        drafts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_preview(enhancer, preview, replace(FIXED_FULL, strength=strength), upsampled_plain)
        plain.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        render_preview(enhancer, preview, Adjustments(strength))
        uncached.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    render_preview(enhancer, preview, Adjustments(), upsampled)
    auto_s = time.perf_counter() - t0
    h, w = preview.pixels.shape[:2]
    results = {
        "threads": threads,
        "preview_size": f"{w}x{h}",
        "12mp_full_decode_s": round(statistics.median(read_s), 3),
        "new_12mp_photo_preview_s": round(statistics.median(preview_s), 3),
        "new_12mp_photo_shown_enhanced_s": round(statistics.median(shown_s), 3),
        "upsample_maps_once_ms": round(1000 * upsample_s, 1),
        "slider_rerender_median_ms": round(1000 * statistics.median(renders), 1),
        "slider_rerender_max_ms": round(1000 * max(renders), 1),
        "slider_rerender_p95_ms": round(1000 * sorted(renders)[int(0.95 * len(renders))], 1),
        "slider_draft_rerender_median_ms": round(1000 * statistics.median(drafts), 1),
        "slider_draft_rerender_p95_ms": round(1000 * sorted(drafts)[int(0.95 * len(drafts))], 1),
        "slider_rerender_plain_median_ms": round(1000 * statistics.median(plain), 1),
        "rerender_without_upsampled_maps_median_ms": round(1000 * statistics.median(uncached), 1),
        "auto_exposure_render_ms": round(1000 * auto_s, 1),
    }
    report(results, args.json)


if __name__ == "__main__":
    main()
