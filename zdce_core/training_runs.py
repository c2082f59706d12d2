"""Training runs on disk: one folder per run in the user data folder, holding the checkpoint
(model, optimiser, RNG state; read with torch to resume) and ``run.json`` (epoch, settings,
history; read without torch, so that a front end can list runs cheaply).

While a run trains, its folder holds a lock file (:data:`LOCK_NAME`, see :func:`lock_run`)
naming the host and process that train it, so that a second training of the same name refuses
instead of mixing its checkpoints into the first one's. :func:`existing_work` tells what a new
training of a name would replace (a run, a model), for the front ends to ask first.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from zdce_core.atomic import atomic_path, host_label, pid_alive, remove_stale_temporaries
from zdce_core.resources import user_data_dir
from zdce_core.training_config import TrainingError

CHECKPOINT_NAME = "checkpoint.pt"
RUN_INFO_NAME = "run.json"
LOCK_NAME = ".zdce-training.lock"
"""The lock file in a run's folder while it trains: ``{"host": HOST, "pid": PID}``."""
LOCK_UNREADABLE_STALE_S = 60.0
"""A lock file that cannot be read (its writer died between creating and writing it) is
taken over once untouched this long."""
_LOCK_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
_LOCK_ATTEMPTS = 5


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


class CheckpointDefect(Enum):
    """Why a checkpoint cannot be resumed from; the value is the reason as the user reads it."""

    UNREADABLE = "it cannot be read"
    EMPTY = "it is empty"
    NOT_A_CHECKPOINT = "it is not a checkpoint file"
    TRUNCATED = "it is truncated"
    CORRUPT = "it is corrupt"
    INCOMPLETE = "it lacks the run's state"


RESUME_KEYS = ("config", "arch", "base", "model", "optimizer", "epoch", "history", "rng")
"""What a checkpoint holds for a run to continue from it."""


class CheckpointDamaged(TrainingError):
    """The checkpoint of a run to resume cannot be read or lacks the run's state (a killed
    copy, a full disk in an older version, another file saved over it)."""

    def __init__(self, path: Path, defect: CheckpointDefect, detail: str = "") -> None:
        reason = f"{defect.value}: {detail}" if detail else defect.value
        super().__init__(f"cannot resume: the checkpoint {path} is damaged ({reason})")
        self.path = path
        self.defect = defect


def _checkpoint_defect(path: Path) -> tuple[CheckpointDefect, str]:
    """Why the checkpoint at ``path``, which ``torch.load`` refused, is unusable: torch's own
    errors are long and vary with the damage, so the file is looked at instead."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except OSError as exc:
        return CheckpointDefect.UNREADABLE, exc.strerror or type(exc).__name__
    if not head:
        return CheckpointDefect.EMPTY, ""
    if not head.startswith(b"PK"):  # torch.save writes a zip archive
        return CheckpointDefect.NOT_A_CHECKPOINT, ""
    if not zipfile.is_zipfile(path):  # no central directory at the end: cut short
        return CheckpointDefect.TRUNCATED, ""
    return CheckpointDefect.CORRUPT, ""


def read_resumable_checkpoint(run_dir: Path) -> dict:
    """The checkpoint of the run in ``run_dir`` with everything resuming needs
    (:data:`RESUME_KEYS`); raises :class:`CheckpointDamaged` (a
    :class:`~zdce_core.training_config.TrainingError`) when it cannot be read or lacks some."""
    path = run_dir / CHECKPOINT_NAME
    try:
        ckpt = read_checkpoint(run_dir)
    except Exception:  # torch raises many kinds (RuntimeError, UnpicklingError, EOFError, …)
        raise CheckpointDamaged(path, *_checkpoint_defect(path)) from None
    missing = [k for k in RESUME_KEYS if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise CheckpointDamaged(path, CheckpointDefect.INCOMPLETE, "no " + ", ".join(missing))
    return ckpt


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


class RunState(Enum):
    """What is in a run's folder, as far as starting a new training of its name goes."""

    NONE = "none"
    """No checkpoint and no ``run.json``."""
    UNFINISHED = "unfinished"
    """It stopped before its last epoch: it can be resumed."""
    FINISHED = "finished"
    """All its epochs are done (resuming it needs more epochs)."""
    UNREADABLE = "unreadable"
    """A checkpoint or ``run.json`` that cannot be read."""


@dataclass(frozen=True)
class ExistingWork:
    """What a new training of ``name`` would replace: its run (``run_state``, ``run`` when
    readable) and the model it saves to (``model``, when that file exists)."""

    name: str
    run_state: RunState
    run: RunInfo | None
    model: Path | None

    @property
    def any(self) -> bool:
        """Whether there is anything a new training would replace."""
        return self.run_state is not RunState.NONE or self.model is not None

    @property
    def resumable(self) -> bool:
        """Whether the run stopped before its last epoch (``--resume`` continues it)."""
        return self.run_state is RunState.UNFINISHED

    def describe(self) -> str:
        """E.g. ``a run 't8' exists (stopped at epoch 205 of 300) and a model 't8' exists``."""
        parts = []
        if self.run_state is not RunState.NONE:
            if self.run is None:
                state = "unreadable"
            elif self.run.unfinished:
                state = f"stopped at epoch {self.run.epoch} of {self.run.epochs}"
            else:
                state = f"finished at epoch {self.run.epoch}"
            parts.append(f"a run {self.name!r} exists ({state})")
        if self.model is not None:
            parts.append(f"a model {self.name!r} exists")
        return " and ".join(parts)


class NameInUse(TrainingError):
    """A new training (neither resumed nor replacing) of a name whose run or model exists."""

    def __init__(self, existing: ExistingWork) -> None:
        super().__init__(f"{existing.describe()}: resume it or replace it")
        self.existing = existing


@dataclass(frozen=True)
class LockHolder:
    """The process named by a run's lock file (``pid`` 0 and host ``?`` when unreadable)."""

    host: str
    pid: int


class RunLocked(TrainingError):
    """The run's folder is locked by a training that is still running."""

    def __init__(self, name: str, holder: LockHolder, lock_path: Path) -> None:
        if holder.pid:
            who = f"process {holder.pid} on {holder.host}"
        else:
            who = "another process (its lock file is being written)"
        super().__init__(f"{name!r} is being trained by {who} (lock file {lock_path})")
        self.holder = holder
        self.lock_path = lock_path


def run_state(run_dir: Path) -> tuple[RunState, RunInfo | None]:
    """The state of the run in ``run_dir`` and, when readable, what it says of itself."""
    if not (run_dir / CHECKPOINT_NAME).exists() and not (run_dir / RUN_INFO_NAME).exists():
        return RunState.NONE, None
    try:
        info = read_run_info(run_dir)
    except Exception:  # a damaged checkpoint: torch raises many kinds
        info = None
    if info is None:
        return RunState.UNREADABLE, None
    return (RunState.UNFINISHED if info.unfinished else RunState.FINISHED), info


def existing_work(name: str, run_dir: Path, model_path: Path) -> ExistingWork:
    """What a new training of ``name`` (run folder ``run_dir``, model file ``model_path``)
    would replace."""
    state, info = run_state(run_dir)
    model = model_path if os.path.lexists(model_path) else None
    return ExistingWork(name, state, info, model)


def _read_lock(path: Path) -> LockHolder | None:
    """The holder the lock file at ``path`` names, or ``None`` when it cannot be read."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(str(record["host"]), int(record["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _stale(path: Path, holder: LockHolder | None) -> bool:
    """Whether the lock at ``path`` belongs to no running training: its process ran on this
    host and has ended, or it cannot be read and was untouched for a while."""
    if holder is None:
        try:
            return time.time() - path.stat().st_mtime > LOCK_UNREADABLE_STALE_S
        except OSError:
            return True
    return holder.host == host_label() and not pid_alive(holder.pid)


def _take_over(path: Path, holder: LockHolder | None) -> None:
    """Remove the stale lock at ``path`` (held by ``holder``): moved aside first, and put back
    when what was moved is not that lock (another process took it over meanwhile)."""
    aside = path.with_name(f"{path.name}.stale-{secrets.token_hex(4)}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    if _read_lock(aside) != holder:
        with contextlib.suppress(OSError):
            os.link(aside, path)
    aside.unlink(missing_ok=True)


def _acquire(path: Path, name: str) -> None:
    record = json.dumps({"host": host_label(), "pid": os.getpid()}).encode()
    for _ in range(_LOCK_ATTEMPTS):
        try:
            fd = os.open(path, _LOCK_FLAGS, 0o644)
        except FileExistsError:
            holder = _read_lock(path)
            if not _stale(path, holder):
                raise RunLocked(name, holder or LockHolder("?", 0), path) from None
            _take_over(path, holder)
            continue
        try:
            os.write(fd, record)
        finally:
            os.close(fd)
        return
    raise RunLocked(name, _read_lock(path) or LockHolder("?", 0), path)


@contextlib.contextmanager
def lock_run(run_dir: Path, name: str | None = None) -> Iterator[Path]:
    """Hold the run folder ``run_dir`` (created if missing) for one training; yields the lock
    file's path.

    The lock is a file created exclusively (``O_CREAT | O_EXCL``) holding this host and
    process id; it is removed at the end, whatever the outcome (an error, a cancel, Ctrl+C).
    A lock of a live process (or of another host: it cannot be checked) raises
    :class:`RunLocked`; one whose process has ended on this host is taken over. A folder
    this created and left empty is removed at the end.
    """
    run_dir = Path(run_dir)
    created = not run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir / LOCK_NAME
    try:
        _acquire(path, name or run_dir.name)
    except BaseException:
        if created:
            with contextlib.suppress(OSError):
                run_dir.rmdir()
        raise
    try:
        yield path
    finally:
        if _read_lock(path) == LockHolder(host_label(), os.getpid()):
            path.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):
                run_dir.rmdir()
