"""The step before a training: lock its run folder and check what it would replace."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from zdce_core.training_config import TrainConfig
from zdce_core.training_runs import NameInUse, existing_work, lock_run, run_dir_for
from zdce_core.training_saves import model_target


@contextlib.contextmanager
def claim_run(
    config: TrainConfig,
    run_dir: Path | None = None,
    resume: bool = False,
    replace: bool = False,
    save_as: Path | None = None,
) -> Iterator[Path]:
    """Lock the run folder of ``config`` for one training and check what it would replace;
    yields the run folder. Nothing is removed here: with ``replace``, the old checkpoint is
    overwritten (atomically) when the new run completes an epoch, and the old model when the
    new one is saved.

    Raises :class:`~zdce_core.training_runs.RunLocked` when another live process trains that
    run, and :class:`~zdce_core.training_runs.NameInUse` when, neither resuming nor replacing,
    the run folder holds a run or the model file exists.
    """
    folder = Path(run_dir) if run_dir else run_dir_for(config.name)
    with lock_run(folder, config.name):
        if not resume and not replace:
            existing = existing_work(config.name, folder, model_target(config, save_as))
            if existing.any:
                raise NameInUse(existing)
        yield folder
