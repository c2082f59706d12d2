"""The batch on a Ray cluster: a third front end over the same application layer.

The planned ``(input, output)`` pairs of a :class:`~zdce_core.batch_job.BatchJob` become a
Ray Data dataset; ``map_batches`` runs them through a pool of actors, each holding one loaded
:class:`~zdce_core.enhancer.Enhancer` (GPU actors when asked), and each actor handles a photo
with :func:`zdce_core.batch.process_one`, exactly as the local batch does (skip existing
outputs, atomic no-replace writes, never touch an input). The driver streams the per-file
results back into the same :class:`~zdce_core.batch_job.Progress` and
:class:`~zdce_core.batch_events.BatchSummary` as the local path.

Inputs and outputs must be on storage every node sees at the same path (a shared
filesystem), and every node needs zdce installed. Ray is imported only here, and only when
a cluster run is asked for (``pip install "zdce[cluster]"``).
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from zdce_core.adjustments import Adjustments
from zdce_core.atomic import remove_stale_temporaries, remove_temporaries_of
from zdce_core.batch import process_one
from zdce_core.batch_events import BatchSummary, FailKind, ItemFinished, ItemStatus, SkipKind
from zdce_core.batch_job import BatchEventSink, BatchJob, Progress
from zdce_core.cancel import Cancel
from zdce_core.discovery import FoundFile
from zdce_core.errors import UserFacingError
from zdce_core.outputs import OutputOptions
from zdce_core.raw_io import WhiteBalance

TASK_RETRIES = 3
"""How often the photos of a worker that died (a lost node, an out-of-memory kill) are
retried on another; a photo that fails for its own reasons is reported, not retried."""


class ClusterError(UserFacingError):
    """The cluster cannot be reached or used; the message says why."""


@dataclass(frozen=True)
class ClusterOptions:
    """``address``: ``"local"`` (start Ray on this machine), ``"auto"`` (the cluster this
    machine belongs to, e.g. after ``ray start --head``) or a Ray address
    (``ray://head:10001``). ``workers``: how many actors (default: as many as the cluster's
    CPUs, or GPUs, allow). ``gpus_per_worker`` > 0 puts each actor on a GPU."""

    address: str = "local"
    workers: int | None = None
    gpus_per_worker: float = 0.0
    cpus_per_worker: int = 1


@dataclass(frozen=True)
class ModelSpec:
    """What each actor loads: the model file (on shared storage) and how to run it."""

    path: Path
    device: str = "auto"
    estimate_size: int = 256
    full_res: bool = False


class PhotoWorker:
    """A Ray actor: one enhancer, photos handled one at a time by :func:`process_one`."""

    def __init__(
        self,
        model: ModelSpec,
        adjustments: Adjustments,
        options: list[OutputOptions],
        inputs: frozenset[Path],
        white_balance: WhiteBalance,
        threads: int,
    ) -> None:
        from zdce_core.enhancer import Enhancer
        from zdce_core.parallel import set_compute_threads
        from zdce_core.weights import load_model

        set_compute_threads(threads)
        self.enhancer = Enhancer(
            load_model(model.path), model.device, model.estimate_size, model.full_res
        )
        self.adjustments = adjustments
        self.options = options
        self.inputs = inputs
        self.white_balance = white_balance

    def __call__(self, batch: dict[str, Any]) -> dict[str, list]:
        results: dict[str, list] = {key: [] for key in RESULT_FIELDS}
        for index, source, root, output, group in zip(
            batch["index"],
            batch["input"],
            batch["root"],
            batch["output"],
            batch["group"],
            strict=True,
        ):
            found = FoundFile(Path(source), Path(root) if root else None)
            item = process_one(
                found,
                Path(output),
                self.enhancer,
                self.options[int(group)],
                self.adjustments,
                self.inputs,
                self.white_balance,
            )
            for key, value in _row(int(index), item).items():
                results[key].append(value)
        return results


RESULT_FIELDS = (
    "index", "status", "reason", "output", "megapixels", "seconds", "strength", "auto",
    "skip", "failure",
)  # fmt: skip


def _row(index: int, item: ItemFinished) -> dict[str, object]:
    """An item as plain values (what crosses from an actor to the driver)."""
    return {
        "index": index,
        "status": item.status.value,
        "reason": item.reason,
        "output": str(item.output) if item.output else "",
        "megapixels": item.megapixels,
        "seconds": item.seconds,
        "strength": math.nan if item.strength is None else item.strength,
        "auto": item.auto,
        "skip": item.skip.value if item.skip else "",
        "failure": item.failure.value if item.failure else "",
    }


def _item(row: dict[str, Any], pairs: list[tuple[FoundFile, Path]]) -> ItemFinished:
    index = int(row["index"])
    strength = float(row["strength"])
    return ItemFinished(
        index=index,
        total=len(pairs),
        path=pairs[index][0].path,
        status=ItemStatus(row["status"]),
        output=Path(row["output"]) if row["output"] else None,
        reason=str(row["reason"]),
        megapixels=float(row["megapixels"]),
        seconds=float(row["seconds"]),
        strength=None if math.isnan(strength) else strength,
        auto=bool(row["auto"]),
        skip=SkipKind(row["skip"]) if row["skip"] else None,
        failure=FailKind(row["failure"]) if row["failure"] else None,
    )


def _connect(address: str) -> tuple[Any, bool]:
    """Ray, connected to ``address``, and whether this call started the connection (then
    :func:`run_job_on_ray` ends it; a program that set up Ray itself keeps its own)."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError('--cluster needs Ray: pip install "zdce[cluster]"') from exc
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(
                address=address,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"cannot use the Ray cluster at {address!r}: {exc}") from exc
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    context.print_on_execution_start = False
    logging.getLogger("ray").setLevel(logging.WARNING)  # the CLI prints its own progress
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray, started


def default_workers(resources: dict[str, float], options: ClusterOptions) -> int:
    """As many actors as the cluster's GPUs (GPU actors) or CPUs allow, at least one."""
    if options.gpus_per_worker > 0:
        return max(1, int(resources.get("GPU", 0) // options.gpus_per_worker))
    return max(1, int(resources.get("CPU", 1) // options.cpus_per_worker))


LOST_WORKER_NOTE = "written by a worker that was lost before it could report it"
"""The note on a photo whose output a worker of this job wrote before it died (killed, out of
memory, a lost node): the retry found the output and would have called it skipped."""
_WRITTEN_ELSEWHERE = {SkipKind.OUTPUT_EXISTS, SkipKind.OUTPUT_APPEARED}


def existing_outputs(pairs: list[tuple[FoundFile, Path]]) -> frozenset[int]:
    """The indices of the pairs whose output exists before the job starts (see
    :func:`written_by_lost_worker`)."""
    return frozenset(i for i, (_found, out) in enumerate(pairs) if out.exists())


def written_by_lost_worker(item: ItemFinished, existed: frozenset[int]) -> ItemFinished:
    """``item`` as the user should read it: a photo skipped because its output exists, when
    that output did not exist when the job started, was written by this job's worker that
    died before reporting it (Ray retried the photo on another): done, with
    :data:`LOST_WORKER_NOTE`, not "skipped: output exists"."""
    if item.status is not ItemStatus.SKIPPED or item.skip not in _WRITTEN_ELSEWHERE:
        return item
    if item.index in existed or item.output is None or not item.output.is_file():
        return item
    return replace(item, status=ItemStatus.DONE, skip=None, reason=LOST_WORKER_NOTE)


def run_job_on_ray(
    job: BatchJob,
    model: ModelSpec,
    adjustments: Adjustments,
    on_event: BatchEventSink,
    options: ClusterOptions,
    cancel: Cancel | None = None,
    white_balance: WhiteBalance = WhiteBalance.CAMERA,
) -> BatchSummary:
    """Run ``job`` on Ray; ``on_event(item, progress)`` sees each photo as it ends (in the
    order they end). Returns the summary (``cancelled`` when ``cancel()`` turned true; Ctrl+C
    ends the Ray job too: finished outputs stay, unfinished ones never appear).
    Raises :class:`ClusterError` when Ray is missing or the cluster cannot be used."""
    ray, connected_here = _connect(options.address)
    should_stop: Callable[[], bool] = cancel or (lambda: False)
    groups = list(job.groups)
    pairs = [(found, out) for opts in groups for found, out in job.groups[opts]]
    group_of = [g for g, opts in enumerate(groups) for _ in job.groups[opts]]
    progress = Progress(len(pairs))
    summary = BatchSummary(total=len(pairs))
    ended: set[int] = set()
    try:
        for folder in {out.parent for _, out in pairs}:
            remove_stale_temporaries(folder)  # left by a run that was killed outright
        rows = [
            {
                "index": i,
                "input": str(found.path),
                "root": str(found.root) if found.root else "",
                "output": str(out),
                "group": group_of[i],
            }
            for i, (found, out) in enumerate(pairs)
        ]
        existed = existing_outputs(pairs)
        resources = ray.cluster_resources()
        if options.gpus_per_worker > resources.get("GPU", 0.0):
            raise ClusterError(
                f"the cluster has {resources.get('GPU', 0):g} GPU(s); "
                f"--gpus-per-worker {options.gpus_per_worker:g} cannot be placed"
            )
        workers = options.workers or default_workers(resources, options)
        dataset = ray.data.from_items(rows, override_num_blocks=max(1, min(len(rows), 4 * workers)))
        with warnings.catch_warnings():  # bounded retries are still passed as remote args
            warnings.simplefilter("ignore", DeprecationWarning)
            results = dataset.map_batches(
                PhotoWorker,
                fn_constructor_kwargs={
                    "model": model,
                    "adjustments": adjustments,
                    "options": groups,
                    "inputs": frozenset(found.path.resolve() for found, _ in pairs),
                    "white_balance": white_balance,
                    "threads": options.cpus_per_worker,
                },
                batch_size=1,
                concurrency=workers,
                num_cpus=options.cpus_per_worker,
                num_gpus=options.gpus_per_worker,
                max_restarts=TASK_RETRIES,  # Ray Data's default: restart forever
                max_task_retries=TASK_RETRIES,
            )
        for row in results.iter_rows():
            item = written_by_lost_worker(_item(row, pairs), existed)
            ended.add(item.index)
            summary.add(item)
            progress.add(item)
            on_event(item, progress)
            if should_stop():
                summary.cancelled = True
                break
    finally:
        if connected_here:
            ray.shutdown()  # ends this job's actors (Ctrl+C included)
            unfinished = (out for i, (_f, out) in enumerate(pairs) if i not in ended)
            remove_temporaries_of(unfinished)  # writes the stopped actors left behind
    summary.seconds = progress.elapsed
    return summary
