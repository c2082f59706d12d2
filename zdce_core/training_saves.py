"""Saving what a training makes: the run's checkpoint and the trained model, and a failed write
(a full disk, no permission) told to the user as "cannot save the checkpoint/model to …"
with what is kept."""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

import torch
from safetensors import SafetensorError

from zdce_core import nets
from zdce_core.model_store import user_models_dir
from zdce_core.training_config import TrainConfig, TrainingError
from zdce_core.training_runs import RunInfo, write_run
from zdce_core.weights import save_model


def model_target(config: TrainConfig, save_as: Path | None = None) -> Path:
    """The model file a training of ``config`` saves (``save_as``, else the user model)."""
    return Path(save_as) if save_as else user_models_dir() / f"{config.name}.safetensors"


def model_metadata(
    cfg: TrainConfig,
    base_name: str,
    train_files: list[Path],
    val_files: list[Path],
    history: list[dict],
) -> dict:
    """The metadata a model trained with ``cfg`` from ``base_name`` is saved with."""
    last = history[-1] if history else {}
    return {
        "name": cfg.name,
        "base": base_name,
        "data": ", ".join(str(Path(d).resolve()) for d in cfg.data),
        "images": len(train_files),
        "validation_images": len(val_files),
        "epochs": len(history),
        "crop": cfg.crop,
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "exposure_target": cfg.exposure_target,
        "train_loss": last.get("train"),
        "val_loss": last.get("val"),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "trained_with": "zdce train",
    }


def write_checkpoint(
    run_dir: Path, checkpoint_path: Path, state: dict, info: RunInfo, epochs_done: int
) -> Path:
    """Write the checkpoint ``state`` (at ``checkpoint_path``) and the run's ``info`` after
    ``epochs_done`` epochs into ``run_dir``. Raises :class:`TrainingError` when they cannot
    be written (a full disk, no permission), saying which checkpoint is kept."""
    before = _identity(checkpoint_path)
    try:
        return write_run(run_dir, state, info)
    except (OSError, RuntimeError, SafetensorError) as exc:
        reason = _write_failure(exc, run_dir, lambda: _serialized_size(state))
        if reason is None:
            raise
        after = _identity(checkpoint_path)
        if after is None:
            kept = "no checkpoint was written yet"
        else:  # the checkpoint is written before run.json: it may be the new one
            epoch = epochs_done - 1 if after == before else epochs_done
            kept = f"the checkpoint of epoch {epoch} is kept at {checkpoint_path}"
        raise TrainingError(f"cannot save the checkpoint to {run_dir}: {reason}; {kept}") from exc


def save_trained_model(
    net: nets.CurveNet, target: Path, metadata: dict, checkpoint_path: Path
) -> Path:
    """Save ``net`` with ``metadata`` as the model file ``target``. Raises
    :class:`TrainingError` when it cannot be written, saying whether the run's checkpoint
    at ``checkpoint_path`` is kept to save it from."""
    try:
        return save_model(net, target, metadata)
    except (OSError, SafetensorError) as exc:
        reason = _write_failure(exc, target.parent, lambda: 0)
        if reason is None:
            raise
        kept = (
            f"; the run's checkpoint is kept at {checkpoint_path} (resume the run to "
            "save the model)"
            if checkpoint_path.is_file()
            else ""
        )
        raise TrainingError(f"cannot save the model to {target.parent}: {reason}{kept}") from exc


def _identity(path: Path) -> tuple[int, int, int] | None:
    """Which file is at ``path`` (device, inode, modification time), or ``None``."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns


def _serialized_size(state: dict) -> int:
    """The size in bytes of ``state`` as ``torch.save`` writes it."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes


def _os_reason(code: int | None, text: str) -> str:
    """An OS error in words for the user: ``no space left on device`` for ENOSPC, else
    the system's text for ``code`` (``text`` when there is none), starting lower case."""
    if code == errno.ENOSPC:
        return "no space left on device"
    words = os.strerror(code) if code else text
    return words[:1].lower() + words[1:]


def _write_failure(exc: BaseException, folder: Path, size: Callable[[], int]) -> str | None:
    """Why writing a file of ``size()`` bytes into ``folder`` failed with ``exc``, in words
    for the user, or ``None`` when ``exc`` is not a failed write (a bug: let it propagate).

    Only :class:`OSError` carries an errno. safetensors and torch report the OS error in
    their message alone, so recognising them by their text is unavoidable here: safetensors
    ends it with ``(os error N)``; torch's archive writer gives no reason at all
    (``[enforce fail at inline_container.cc:672] . unexpected pos 576 vs 534`` on a full
    disk), so a full disk is told from the free space left in ``folder``.
    """
    if isinstance(exc, OSError):
        return _os_reason(exc.errno, exc.strerror or str(exc))
    message = str(exc)
    if isinstance(exc, SafetensorError):
        found = re.search(r"\(os error (\d+)\)", message)
        if found:
            return _os_reason(int(found[1]), message)
        return f"the write failed ({message})"
    if isinstance(exc, RuntimeError) and (
        "inline_container" in message or "PytorchStreamWriter" in message
    ):
        try:
            full = shutil.disk_usage(folder).free < size()
        except OSError:
            full = False
        return _os_reason(errno.ENOSPC, "") if full else f"the write failed ({message})"
    return None
