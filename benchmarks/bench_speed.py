"""Speed of `zdce enhance` on a mixed set of photos, idle and on a busy machine.

Workloads (generated photo-like images, cached in the temp folder): 64 small JPEGs
(640×480), 16 small PNGs, 3 JPEGs of 12 MP, 2 JPEGs of 24 MP, 2 PNGs of 12 MP; default
settings, shipped model, output in the input's format. For each workload, in one run:

- the decode + encode floor (read and write every photo in this process, no model);
- `zdce enhance` in a fresh process: throughput in the batch (its own summary), whole
  command including start-up, time to the first finished photo, peak RSS;
- with ``--busy``, the same command while a competing PyTorch process keeps 2 threads busy
  with convolutions, and the busy/idle ratio (idle and busy runs interleaved): of the
  medians, and of each round (the lowest one: a target holds "in every run").

Also `zdce --help` and `zdce models` start-up, and (unless ``--skip-48mp``) the peak RSS for
one 48 MP photo and for a 100 MP 1-bit PNG (12 kB on disk).

    python -m benchmarks.bench_speed [--busy] [--only small-jpeg,12mp-jpeg] [--rounds 1]
        [--threads N] [--enhance-options '--estimate-size 128'] [--json out.json]

Ratios measured in the same run are what to compare; absolute times vary with the machine
and its load.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image

from benchmarks.model import default_or_random_model
from benchmarks.photos import make_photos
from benchmarks.report import report
from zdce_core.image_io import read_image
from zdce_core.image_write import write_image


@dataclass(frozen=True)
class Workload:
    name: str
    count: int
    width: int
    height: int
    ext: str


WORKLOADS = [
    Workload("small-jpeg", 64, 640, 480, ".jpg"),
    Workload("small-png", 16, 640, 480, ".png"),
    Workload("12mp-jpeg", 3, 4000, 3000, ".jpg"),
    Workload("24mp-jpeg", 2, 6000, 4000, ".jpg"),
    Workload("12mp-png", 2, 4000, 3000, ".png"),
]

# The competing job: another PyTorch program keeping 2 threads busy with convolutions.
COMPETITOR = (
    "import torch\n"
    "torch.set_num_threads(2)\n"
    "x, w = torch.rand(1, 32, 256, 256), torch.rand(32, 32, 3, 3)\n"
    "while True:\n"
    "    torch.nn.functional.conv2d(x, w, padding=1)\n"
)

# A small launcher runs the command and reports its own peak RSS (a child forked straight
# from this large process would inherit its high-water mark), and when the first photo was
# done (the first line the command prints for a finished photo with --verbose).
LAUNCHER = (
    "import resource, subprocess, sys, time\n"
    "t0 = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, "
    "text=True)\n"
    "first, lines = -1.0, []\n"
    "for line in p.stderr:\n"
    "    if first < 0 and line.startswith('done '):\n"
    "        first = time.perf_counter() - t0\n"
    "    lines.append(line)\n"
    "rc = p.wait()\n"
    "wall = time.perf_counter() - t0\n"
    "sys.stderr.write(''.join(lines))\n"
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc, wall, first)\n"
)


@dataclass(frozen=True)
class Run:
    batch_mp_s: float
    wall_s: float
    first_photo_s: float
    peak_rss_mb: float


def run_enhance(cmd: list[str]) -> Run:
    """Run a `zdce enhance … -q -v` command and measure it."""
    proc = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *cmd], capture_output=True, text=True, check=True
    )
    max_kb, rc, wall, first = proc.stdout.split()
    if int(rc) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({rc}):\n{proc.stderr}")
    match = re.search(r"\(([\d.]+) MP/s\)", proc.stderr)
    rate = float(match.group(1)) if match else float("nan")
    return Run(rate, float(wall), float(first), int(max_kb) / 1024)


def command_seconds(cmd: list[str], repeats: int = 3) -> float:
    """Median wall time of ``cmd`` (output discarded)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def floor_rate(paths: list[Path], out: Path) -> float:
    """Megapixels per second for decode + encode only (same format, metadata kept)."""
    out.mkdir(parents=True, exist_ok=True)
    mp = 0.0
    t0 = time.perf_counter()
    for p in paths:
        photo = read_image(p)
        write_image(out / p.name, photo, "jpeg" if p.suffix == ".jpg" else "png", 95)
        mp += photo.megapixels
    return mp / (time.perf_counter() - t0)


class Competitor:
    """A competing PyTorch process for the duration of a ``with`` block."""

    def __enter__(self) -> Competitor:
        self.proc = subprocess.Popen([sys.executable, "-c", COMPETITOR])
        time.sleep(3.0)  # past its import, into the convolutions
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", action="store_true", help="also measure on a busy machine")
    parser.add_argument("--only", help="comma-separated workload names")
    parser.add_argument("--rounds", type=int, default=1, help="idle/busy pairs per workload")
    parser.add_argument("--threads", type=int, default=0, help="pass --threads to zdce")
    parser.add_argument(
        "--enhance-options", default="", help="more zdce enhance options, e.g. '--denoise off'"
    )
    parser.add_argument("--model", help="model for zdce enhance (default: bundled default)")
    parser.add_argument("--skip-48mp", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    chosen = set(args.only.split(",")) if args.only else {w.name for w in WORKLOADS}
    cache = Path(tempfile.gettempdir()) / "zdce-bench-photos"
    zdce = [sys.executable, "-m", "zdce_core.cli"]
    if args.threads:
        zdce += ["--threads", str(args.threads)]
    results: dict[str, object] = {"machine": machine()}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        model = args.model or default_or_random_model(tmp)
        results["model"] = Path(model).name
        results["help_s"] = round(command_seconds([*zdce, "--help"]), 2)
        results["models_s"] = round(command_seconds([*zdce, "models"]), 2)
        for w in WORKLOADS:
            if w.name not in chosen:
                continue
            paths = make_photos(cache / w.name, w.count, w.width, w.height, w.ext)
            mp = w.count * w.width * w.height / 1e6
            floor = floor_rate(paths, tmp / "floor")
            cmd = [*zdce, "enhance", str(paths[0].parent), "-o", str(tmp / "out")]
            cmd += ["--model", model, "--overwrite", "-q", "-v", *args.enhance_options.split()]
            idle, busy = [], []
            for _ in range(args.rounds):
                idle.append(run_enhance(cmd))
                if args.busy:
                    with Competitor():
                        busy.append(run_enhance(cmd))
            batch = statistics.median(r.batch_mp_s for r in idle)
            results[f"{w.name}: floor MP/s"] = round(floor, 1)
            results[f"{w.name}: batch MP/s"] = round(batch, 2)
            results[f"{w.name}: batch / floor"] = round(batch / floor, 3)
            results[f"{w.name}: whole command s"] = round(
                statistics.median(r.wall_s for r in idle), 2
            )
            results[f"{w.name}: whole command MP/s"] = round(
                mp / statistics.median(r.wall_s for r in idle), 2
            )
            results[f"{w.name}: first photo s"] = round(
                statistics.median(r.first_photo_s for r in idle), 2
            )
            results[f"{w.name}: peak RSS MB"] = round(max(r.peak_rss_mb for r in idle))
            if busy:
                busy_rate = statistics.median(r.batch_mp_s for r in busy)
                results[f"{w.name}: busy batch MP/s"] = round(busy_rate, 2)
                results[f"{w.name}: busy / idle"] = round(busy_rate / batch, 3)
                each = [b.batch_mp_s / i.batch_mp_s for i, b in zip(idle, busy, strict=True)]
                results[f"{w.name}: busy / idle, each round"] = " ".join(f"{r:.2f}" for r in each)
                results[f"{w.name}: busy / idle, lowest round"] = round(min(each), 3)
                results[f"{w.name}: busy whole command s"] = round(
                    statistics.median(r.wall_s for r in busy), 2
                )
        if not args.skip_48mp:
            big = make_photos(cache / "48mp", 1, 8000, 6000, ".jpg")[0]
            cmd = [*zdce, "enhance", str(big), "-o", str(tmp / "out48"), "--model", model]
            run = run_enhance([*cmd, "-q", "-v"])
            results["48mp: peak RSS MB"] = round(run.peak_rss_mb)
            bitmap = cache / "100mp-1bit.png"  # 12 kB on disk, 100 MP decoded
            if not bitmap.exists():
                Image.new("1", (10_000, 10_000), 0).save(bitmap)
            cmd = [*zdce, "enhance", str(bitmap), "-o", str(tmp / "out100"), "--model", model]
            run = run_enhance([*cmd, "-q", "-v"])
            results["100mp 1-bit png: peak RSS MB"] = round(run.peak_rss_mb)
    report(results, args.json)


if __name__ == "__main__":
    main()
