"""Training speed: images per second of a DCE-Net training step, bare and in the full loop.

    python benchmarks/bench_train.py [--data DIR] [--steps 6] [--threads N] [--json out.json]

Bare step: forward + the four losses + backward + Adam + subnormal clean-up on a fixed random
batch of 8 (channels_last on CPU, as the trainer does; NCHW for comparison). Full loop:
`zdce_core.training` on a folder (``--data``, default: 64 generated 512×512 photo-like JPEGs),
reading, cropping and stacking images every step; its rate should be within 80% of the bare
step's.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.photos import make_photos
from benchmarks.report import report
from zdce_core.training import Trainer
from zdce_core.training_config import StepProgress, TrainConfig


def bare_rate(trainer: Trainer, crop: int, steps: int) -> float:
    batch = torch.rand(
        trainer.config.batch_size, 3, crop, crop, generator=torch.Generator().manual_seed(0)
    )
    trainer.step_on(batch)  # warm-up: oneDNN builds its kernels for this shape
    t0 = time.perf_counter()
    for _ in range(steps):
        trainer.step_on(batch)
    return steps * batch.shape[0] / (time.perf_counter() - t0)


def loop_rate(trainer: Trainer, steps: int) -> float:
    """Images/s of the real loop, from its own step reports after a warm-up step."""
    rates: list[float] = []

    def record(p: object) -> None:
        if isinstance(p, StepProgress):
            rates.append(p.images_per_second)

    trainer.run(record, cancel=lambda: len(rates) > steps, save_as=None)
    return rates[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="folder of training photos")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (default: all)")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    data = (
        args.data
        or make_photos(Path(tempfile.gettempdir()) / "zdce-bench-train", 64, 512, 512)[0].parent
    )
    results: dict[str, object] = {"threads": torch.get_num_threads(), "batch": 8}
    with tempfile.TemporaryDirectory() as run_dir:
        for crop in (128, 256):
            cfg = TrainConfig(data=[str(data)], name="bench", base=None, crop=crop, epochs=1)
            trainer = Trainer(cfg, run_dir=Path(run_dir))
            results[f"bare_step_{crop}_channels_last_img_s"] = round(
                bare_rate(trainer, crop, args.steps), 2
            )
            trainer.channels_last = False
            trainer.net.to(memory_format=torch.contiguous_format)
            results[f"bare_step_{crop}_nchw_img_s"] = round(bare_rate(trainer, crop, args.steps), 2)
            trainer = Trainer(cfg, run_dir=Path(run_dir))
            rate = loop_rate(trainer, args.steps)
            results[f"full_loop_{crop}_img_s"] = round(rate, 2)
            results[f"full_loop_{crop}_over_bare"] = round(
                rate / float(results[f"bare_step_{crop}_channels_last_img_s"]), 3
            )
    report(results, args.json)


if __name__ == "__main__":
    main()
