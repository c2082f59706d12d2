"""Batch throughput and peak memory of `zdce enhance` on 12-megapixel JPEGs.

Prints, in one run: the decode+encode floor (read and write every photo, no model), the
`zdce enhance` throughput (from its own summary, and end to end including start-up), their
ratio, the peak RSS of the enhance process, and the peak RSS for one 48-megapixel photo.
A table on stdout, and JSON with --json.

    python benchmarks/bench_batch.py [--folder DIR] [--count 8] [--model M] [--json out.json]

Without --model the bundled default model is used; if there is none yet, a seeded random
DCE-Net is written to a temporary file (same architecture, so the same speed).
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.photos import make_jpegs
from benchmarks.report import report
from zdce_core.image_io import read_image, write_image

# A small launcher process runs the command, so that the peak RSS it reports belongs to the
# command alone (a child forked straight from this large process inherits its high-water mark).
LAUNCHER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
)


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd``; ``(wall seconds, peak RSS in MB, stderr)``."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *cmd], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    max_kb, rc = map(int, proc.stdout.split())
    if rc != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}):\n{proc.stderr}")
    return wall, max_kb / 1024, proc.stderr


def floor_rate(paths: list[Path], out: Path) -> float:
    """Megapixels per second for decode + encode only (JPEG q95, metadata kept)."""
    out.mkdir(parents=True, exist_ok=True)
    mp = 0.0
    t0 = time.perf_counter()
    for p in paths:
        photo = read_image(p)
        write_image(out / p.name, photo, "jpeg", 95)
        mp += photo.megapixels
    return mp / (time.perf_counter() - t0)


def default_or_random_model(tmp: Path) -> str:
    from zdce_core.model_store import NoDefaultModelError, resolve_model

    try:
        return str(resolve_model(None))
    except NoDefaultModelError:
        import torch

        from zdce_core import nets
        from zdce_core.weights import save_model

        torch.manual_seed(0)
        return str(save_model(nets.build("dcenet"), tmp / "random-dcenet.safetensors"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, help="photos to use (default: generated)")
    parser.add_argument("--count", type=int, default=8, help="generated 12 MP photos (8)")
    parser.add_argument("--model", help="model for zdce enhance (default: bundled default)")
    parser.add_argument("--skip-48mp", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    cache = Path(tempfile.gettempdir()) / "zdce-bench-photos"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        paths = (
            sorted(args.folder.glob("*.jp*g"))
            if args.folder
            else make_jpegs(cache / "12mp", args.count, 4000, 3000)
        )
        model = args.model or default_or_random_model(tmp)
        megapixels = sum(read_image(p).megapixels for p in paths)
        floor = floor_rate(paths, tmp / "floor")
        zdce = [sys.executable, "-m", "zdce_core.cli"]
        folder = str(paths[0].parent)
        wall, rss, err = run_measured(
            [*zdce, "enhance", folder, "-o", str(tmp / "out"), "--model", model, "-q"]
        )
        match = re.search(r"\(([\d.]+) MP/s\)", err)
        batch_rate = float(match.group(1)) if match else float("nan")
        results = {
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            "photos": len(paths),
            "megapixels_total": round(megapixels, 1),
            "model": Path(model).name,
            "floor_decode_encode_mp_s": round(floor, 2),
            "enhance_mp_s": batch_rate,
            "enhance_end_to_end_mp_s": round(megapixels / wall, 2),
            "enhance_over_floor": round(batch_rate / floor, 3),
            "enhance_peak_rss_mb": round(rss),
        }
        if not args.skip_48mp:
            big = make_jpegs(cache / "48mp", 1, 8000, 6000)[0]
            _, rss48, _ = run_measured(
                [*zdce, "enhance", str(big), "-o", str(tmp / "out48"), "--model", model, "-q"]
            )
            results["peak_rss_48mp_mb"] = round(rss48)
    report(results, args.json)


if __name__ == "__main__":
    main()
