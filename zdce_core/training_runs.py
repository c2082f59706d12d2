"""Training runs on disk: one folder per run in the user data folder, holding the checkpoint
(model, optimiser, RNG state; read with torch to resume) and ``run.json`` (epoch, settings,
history; read without torch, so that a front end can list runs cheaply).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from zdce_core.atomic import atomic_path, remove_stale_temporaries
from zdce_core.resources import user_data_dir

CHECKPOINT_NAME = "checkpoint.pt"
RUN_INFO_NAME = "run.json"


@dataclass(frozen=True)
class RunInfo:
    """What a run's folder says about it: ``epoch`` completed epochs of ``config["epochs"]``,
    the settings it was started with (:class:`~zdce_core.training_config.TrainConfig` as a
    dict) and the per-epoch ``history`` (``{"epoch", "train", "val", "seconds"}``)."""

    run_dir: Path
    epoch: int
    config: dict
    history: list[dict]

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def epochs(self) -> int:
        return int(self.config["epochs"])

    @property
    def unfinished(self) -> bool:
        return self.epoch < self.epochs


def run_dir_for(name: str) -> Path:
    """The folder of the run that trains the model ``name``."""
    return user_data_dir() / "runs" / name


def write_run(run_dir: Path, checkpoint: dict, info: RunInfo) -> Path:
    """Write the checkpoint (``torch.save``) and ``run.json``, each atomically; returns the
    checkpoint's path. Temporaries a killed run left in ``run_dir`` are removed first."""
    import torch

    run_dir.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(run_dir)
    path = run_dir / CHECKPOINT_NAME
    with atomic_path(path) as tmp:
        torch.save(checkpoint, tmp)
    record = {"epoch": info.epoch, "config": info.config, "history": info.history}
    with atomic_path(run_dir / RUN_INFO_NAME) as tmp:
        Path(tmp).write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


def read_checkpoint(run_dir: Path) -> dict:
    """The checkpoint of the run in ``run_dir`` (tensors only: ``weights_only=True``)."""
    import torch

    return torch.load(run_dir / CHECKPOINT_NAME, map_location="cpu", weights_only=True)


def read_run_info(run_dir: Path) -> RunInfo | None:
    """The run in ``run_dir``, or ``None`` when it has no checkpoint. Reads ``run.json``;
    runs saved before it existed are read from their checkpoint once and given one."""
    run_dir = Path(run_dir)
    if not (run_dir / CHECKPOINT_NAME).is_file():
        return None
    try:
        record = json.loads((run_dir / RUN_INFO_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = read_checkpoint(run_dir)
        info = RunInfo(run_dir, int(record["epoch"]), record["config"], record["history"])
        with atomic_path(run_dir / RUN_INFO_NAME) as tmp:
            data = {"epoch": info.epoch, "config": info.config, "history": info.history}
            Path(tmp).write_text(json.dumps(data, indent=1), encoding="utf-8")
        return info
    return RunInfo(run_dir, int(record["epoch"]), record["config"], record["history"])


def list_runs() -> list[RunInfo]:
    """Every run in the user data folder, the most recently written first."""
    runs_dir = user_data_dir() / "runs"
    if not runs_dir.is_dir():
        return []
    checkpoints = sorted(
        runs_dir.glob(f"*/{CHECKPOINT_NAME}"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    return [info for p in checkpoints if (info := read_run_info(p.parent)) is not None]


def unfinished_runs() -> list[RunInfo]:
    """Runs that stopped before their last epoch, the most recent first."""
    return [info for info in list_runs() if info.unfinished]


def discard_run(run_dir: Path) -> None:
    """Delete the run's folder (its checkpoint and history)."""
    shutil.rmtree(run_dir, ignore_errors=True)
