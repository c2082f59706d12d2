"""The same folder through the local batch and through `--cluster local` (Ray on this
machine, one single-threaded actor per core), interleaved; prints the overhead ratio.

python -m benchmarks.bench_cluster [--count 24] [--size 2000x1500] [--rounds 2] [--json FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_speed import run_enhance
from benchmarks.model import default_or_random_model
from benchmarks.photos import make_photos
from benchmarks.report import report

ZDCE = [sys.executable, "-m", "zdce_core.cli"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=24)
    parser.add_argument("--size", default="2000x1500")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    folder = Path(tempfile.gettempdir()) / "zdce-bench-cluster"
    make_photos(folder, args.count, width, height)
    megapixels = args.count * width * height / 1e6
    walls: dict[str, list[float]] = {"local": [], "cluster": []}
    with tempfile.TemporaryDirectory() as tmp:
        model = str(default_or_random_model(Path(tmp)))
        for r in range(args.rounds):
            for name, extra in (("local", []), ("cluster", ["--cluster", "local"])):
                out = Path(tmp) / f"{name}{r}"
                cmd = [*ZDCE, "enhance", str(folder), "-o", str(out), "--model", model, *extra]
                walls[name].append(run_enhance([*cmd, "-q", "-v"]).wall_s)
    results: dict[str, object] = {"photos": f"{args.count} × {width}×{height}"}
    for name, values in walls.items():
        wall = statistics.median(values)
        results[f"{name}: whole command s"] = round(wall, 2)
        results[f"{name}: MP/s"] = round(megapixels / wall, 2)
    results["cluster / local time"] = round(
        statistics.median(walls["cluster"]) / statistics.median(walls["local"]), 2
    )
    report(results, args.json)


if __name__ == "__main__":
    main()
