"""Train the candidate recipes for the default model, each until a wall-clock deadline.

    python training/recipes.py DATA RUNS_DIR --minutes 8 [--only ref tv800 ...]

Every recipe runs in its own process through :func:`zdce_core.training.train` (the same loop
as ``zdce train``), with its run folder ``RUNS_DIR/<recipe>``: checkpoints every epoch, and a
rerun resumes where the last one stopped. At the deadline a run is stopped between steps and
its last completed epoch is exported to ``RUNS_DIR/<recipe>/model.safetensors``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from pathlib import Path

RECIPES: dict[str, dict] = {
    # the reference Zero-DCE recipe: whole images at 256², TV 200, exposure target 0.6
    "ref": {"arch": "dcenet"},
    # smoother curve maps: fewer lightness-order flips, fewer halos
    "tv800": {"arch": "dcenet", "loss_weights": {"tv": 800.0}},
    "tv1600-e05": {"arch": "dcenet", "loss_weights": {"tv": 1600.0}, "exposure_target": 0.5},
    # a darker exposure target: less washed-out, auto exposure lifts further when needed
    "e05": {"arch": "dcenet", "exposure_target": 0.5},
    # smaller random crops (128² from squares of 50–100 % of the short side)
    "crop128": {"arch": "dcenet", "crop": 128, "scale_min": 0.5, "flips": True},
    # DCE-Net++: 10k parameters, one shared map (its reference TV weight 1600)
    "pp": {"arch": "dcenet++"},
    # fine-tuned from the shipped default (pp after 24 epochs): brighter full effect,
    # smoother maps, stronger colour constancy
    "pp-e07": {"arch": "dcenet++", "base": "default", "exposure_target": 0.7},
    "pp-tv3200": {"arch": "dcenet++", "base": "default", "loss_weights": {"tv": 3200.0}},
    "pp-col15": {"arch": "dcenet++", "base": "default", "loss_weights": {"col": 15.0}},
}


def run_recipe(name: str, data: str, runs: Path, deadline: float, epochs: int) -> None:
    """Train recipe ``name`` until ``epochs`` or the ``deadline`` (``time.time()`` seconds)."""
    import torch

    from zdce_core.training import export_checkpoint, train
    from zdce_core.training_config import RunStatus, TrainConfig
    from zdce_core.training_runs import read_run_info

    torch.set_num_threads(2)
    run_dir = runs / name
    settings = {"base": None, "crop": 256, "scale_min": 1.0, "flips": False, **RECIPES[name]}
    config = TrainConfig(data=[data], name=name, epochs=epochs, **settings)
    resume = read_run_info(run_dir) is not None
    t0 = time.time()
    result = train(
        config,
        cancel=lambda: time.time() > deadline,
        run_dir=run_dir,
        resume=resume,
        save_as=run_dir / "model.safetensors",
    )
    if result.status is not RunStatus.FINISHED and result.epochs_done:
        export_checkpoint(run_dir, run_dir / "model.safetensors")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "history.json").write_text(json.dumps(result.history, indent=1))
    print(f"{name}: {result.status.value}, {result.epochs_done} epochs, {time.time() - t0:.0f} s")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("data")
    ap.add_argument("runs", type=Path)
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--only", nargs="*", choices=sorted(RECIPES), default=sorted(RECIPES))
    a = ap.parse_args()
    deadline = time.time() + 60 * a.minutes
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(target=run_recipe, args=(n, a.data, a.runs, deadline, a.epochs)) for n in a.only
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return max(abs(p.exitcode or 0) for p in procs)


if __name__ == "__main__":
    raise SystemExit(main())
