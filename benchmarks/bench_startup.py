"""Start-up: `zdce-gui` to a usable window, and `zdce enhance` of one 12 MP JPEG to the first
finished photo, for the venv and for the frozen app (``dist/zdce``) when it is there.

Each measurement is a fresh process timed from its launch:

- window: ``zdce-gui --startup-time`` (headless, a fresh home) prints ``window ready`` once
  the main window is shown and the event loop is idle; the time to that line;
- first photo: ``zdce enhance PHOTO -o OUT --overwrite -q -v`` (the bundled default model,
  a fresh home); the time to the command's first ``done`` line, and to its exit.

With ``--before-src DIR`` (an older checkout, e.g. ``git archive COMMIT | tar -x -C DIR``,
run with this venv's Python) and/or ``--before-frozen DIR`` (an older ``dist/zdce`` copy),
the older programs run interleaved with the current ones, round by round, and the ratios
before ÷ now are printed: ratios from one run are what to compare, as absolute times vary
with the machine and its load. The frozen folders' sizes are printed too.

    python -m benchmarks.bench_startup [--rounds 5] [--frozen dist/zdce]
        [--before-src DIR] [--before-frozen DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.photos import make_photos
from benchmarks.report import report

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Program:
    """One build of the two programs: how to start each, and where."""

    label: str
    gui: list[str]
    cli: list[str]
    cwd: Path
    pythonpath: str | None = None


def venv_program(label: str, source: Path) -> Program:
    python = [sys.executable, "-m"]
    return Program(
        label, [*python, "zdce_gui.app"], [*python, "zdce_core.cli"], source, str(source)
    )


def frozen_program(label: str, folder: Path) -> Program:
    return Program(label, [str(folder / "zdce-gui")], [str(folder / "zdce")], folder)


def seconds_to_line(
    cmd: list[str], program: Program, home: Path, prefix: str, check_exit: bool = True
) -> tuple[float, float]:
    """Run ``cmd``; seconds from its launch to its first output line starting with
    ``prefix`` (stdout or stderr), and to its exit. ``check_exit=False``: a failing exit
    after that line is no error (an older ``zdce-gui --startup-time`` could crash on its way
    out while the model was still loading)."""
    env = {**os.environ, "ZDCE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    if program.pythonpath:
        env["PYTHONPATH"] = program.pythonpath
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=program.cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    assert proc.stdout is not None
    first, lines = -1.0, []
    for line in proc.stdout:
        if first < 0 and line.startswith(prefix):
            first = time.perf_counter() - t0
        lines.append(line)
    rc = proc.wait()
    wall = time.perf_counter() - t0
    if (rc != 0 and check_exit) or first < 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed ({rc}) or printed no {prefix!r}:\n{''.join(lines)}"
        )
    return first, wall


def folder_mb(folder: Path) -> float:
    """Size of the files under ``folder`` in MB (10⁶ bytes), as ``du --apparent-size``."""
    return (
        sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()) / 1e6
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="launches of each program")
    parser.add_argument("--frozen", type=Path, default=ROOT / "dist" / "zdce")
    parser.add_argument("--before-src", type=Path, help="an older checkout to compare with")
    parser.add_argument("--before-frozen", type=Path, help="an older dist/zdce to compare with")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    pairs: list[tuple[Program, Program | None]] = [
        (
            venv_program("venv", ROOT),
            venv_program("venv before", args.before_src) if args.before_src else None,
        )
    ]
    if (args.frozen / "zdce").exists():
        before = args.before_frozen
        pairs.append(
            (
                frozen_program("frozen", args.frozen),
                frozen_program("frozen before", before) if before else None,
            )
        )
    programs = [p for pair in pairs for p in pair if p is not None]
    photo = make_photos(
        Path(tempfile.gettempdir()) / "zdce-bench-photos" / "12mp-jpeg", 1, 4000, 3000
    )[0]
    window: dict[str, list[float]] = {p.label: [] for p in programs}
    first: dict[str, list[float]] = {p.label: [] for p in programs}
    whole: dict[str, list[float]] = {p.label: [] for p in programs}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        for _ in range(args.rounds):
            for p in programs:
                home = Path(tempfile.mkdtemp(dir=tmp))
                window[p.label].append(
                    seconds_to_line(
                        [*p.gui, "--startup-time"], p, home, "window ready", check_exit=False
                    )[0]
                )
                cmd = [*p.cli, "enhance", str(photo), "-o", str(tmp / "out"), "--overwrite"]
                done, wall = seconds_to_line([*cmd, "-q", "-v"], p, home, "done ")
                first[p.label].append(done)
                whole[p.label].append(wall)
    results: dict[str, object] = {"rounds": args.rounds}
    for p in programs:
        results[f"{p.label}: window s"] = round(statistics.median(window[p.label]), 2)
        results[f"{p.label}: first 12 MP photo s"] = round(statistics.median(first[p.label]), 2)
        results[f"{p.label}: whole command s"] = round(statistics.median(whole[p.label]), 2)
    for now, before in pairs:
        if before is None:
            continue
        for name, runs in (("window", window), ("first photo", first), ("whole command", whole)):
            ratio = statistics.median(runs[before.label]) / statistics.median(runs[now.label])
            results[f"{now.label}: {name} before ÷ now"] = round(ratio, 2)
    for now, before in pairs:
        if now.label.startswith("frozen"):
            results["frozen: folder MB"] = round(folder_mb(args.frozen))
            if before is not None:
                results["frozen before: folder MB"] = round(folder_mb(before.cwd))
    report(results, args.json)


if __name__ == "__main__":
    main()
