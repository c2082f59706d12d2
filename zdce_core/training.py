"""Zero-reference training: the loop, the check before a model is saved, and resume.

The loop is a plain method that reports progress dataclasses through a callback and checks a
cancel callable before every step; it knows nothing of threads or Qt. Settings and presets
live in :mod:`zdce_core.training_config`, data in :mod:`zdce_core.training_data`, run folders
in :mod:`zdce_core.training_runs`, the lock and check before a run in
:mod:`zdce_core.training_claim`, the device's memory in :mod:`zdce_core.training_memory`, the
check of a trained model in :mod:`zdce_core.training_check`, writing the checkpoint and the
model in :mod:`zdce_core.training_saves`, and the network a run starts from in
:mod:`zdce_core.training_net`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core.curves import apply_curves
from zdce_core.device import pick_device
from zdce_core.image_io import ImageReadError
from zdce_core.losses import LossParts, LossWeights, ZeroReferenceLoss
from zdce_core.parallel import available_cores, torch_threads
from zdce_core.training_check import check_trained_model, darkest_photos
from zdce_core.training_claim import claim_run
from zdce_core.training_config import (
    EpochDone,
    Progress,
    RunStatus,
    StepProgress,
    TrainConfig,
    TrainingError,
    TrainResult,
    TrainWarning,
    check_training_memory,
)
from zdce_core.training_data import Dataset, center_square, load_training_image, random_crop
from zdce_core.training_memory import device_memory
from zdce_core.training_net import starting_net
from zdce_core.training_runs import (
    CHECKPOINT_NAME,
    CheckpointDamaged,
    CheckpointDefect,
    RunInfo,
    read_resumable_checkpoint,
    read_run_info,
    run_dir_for,
)
from zdce_core.training_saves import (
    model_metadata,
    model_target,
    save_trained_model,
    write_checkpoint,
)
from zdce_core.weights import clean_module_


def _mean_parts(parts: list[LossParts]) -> LossParts:
    """The mean of each loss over ``parts`` (at least one)."""
    if not parts:
        raise ValueError("no losses to average")
    return LossParts(
        *(float(np.mean([getattr(p, f) for p in parts])) for f in LossParts.__dataclass_fields__)
    )


class Trainer:
    """One training run: model, optimiser, data and checkpoints in ``run_dir``.

    With ``resume`` the run continues from its checkpoint with the configuration it was
    started with; only ``config.epochs`` is taken from the caller (to extend or shorten it).
    Use :func:`train` unless you need the pieces (tests use :meth:`step_on`).
    """

    def __init__(self, config: TrainConfig, run_dir: Path | None = None, resume: bool = False):
        config.validate()
        self.run_dir = Path(run_dir) if run_dir else run_dir_for(config.name)
        self.checkpoint_path = self.run_dir / CHECKPOINT_NAME
        self.device = pick_device(config.device)
        self.history: list[dict] = []
        self.start_epoch = 0
        ckpt = None
        if resume:
            if not self.checkpoint_path.is_file():
                raise TrainingError(f"nothing to resume: no checkpoint at {self.checkpoint_path}")
            ckpt = read_resumable_checkpoint(self.run_dir)
            try:
                saved = TrainConfig(**ckpt["config"])
            except TypeError as exc:
                detail = f"its settings do not fit this version: {exc}"
                raise CheckpointDamaged(
                    self.checkpoint_path, CheckpointDefect.INCOMPLETE, detail
                ) from None
            saved.epochs = config.epochs
            config = saved
        self.config = config
        self.net, self.base_name = starting_net(config, ckpt)
        config.arch = self.net.arch
        check_training_memory(config, *device_memory(self.device))
        self.channels_last = self.device.type == "cpu"
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.net.to(self.device, memory_format=memory_format)  # pyright: ignore[reportCallIssue]
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.amp = self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        weights = LossWeights.for_arch(self.net.arch, **config.loss_weights)
        self.criterion = ZeroReferenceLoss(weights, config.exposure_target)
        if ckpt is not None:
            try:
                self.net.load_state_dict(ckpt["model"])
                self.optimizer.load_state_dict(ckpt["optimizer"])
                self.start_epoch = int(ckpt["epoch"])
                self.history = list(ckpt["history"])
                torch.set_rng_state(ckpt["rng"])
            except (RuntimeError, ValueError, TypeError, KeyError) as exc:  # wrong shapes, types
                detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
                raise CheckpointDamaged(
                    self.checkpoint_path, CheckpointDefect.CORRUPT, detail
                ) from None
        clean_module_(self.net)
        self.data = Dataset.from_folders(config.data, config.val_every)
        self._val_batches: list[torch.Tensor] | None = None
        self._unreadable: dict[Path, str] = {}
        self._brightness: dict[Path, float] = {}  # photo → mean brightness, once read

    def _load(self, path: Path, report: Callable[[Progress], None]) -> Image.Image | None:
        """The training image at ``path`` (its brightness noted), or ``None`` (warned about
        once) if unreadable."""
        if path in self._unreadable:
            return None
        try:
            image = load_training_image(path, self.config.crop)
        except ImageReadError as exc:
            self._unreadable[path] = str(exc)
            report(TrainWarning(f"skipped {path}: {exc}"))
            return None
        if path not in self._brightness:
            self._brightness[path] = float(np.asarray(image).mean()) / 255.0
        return image

    def _to_device(self, batch: torch.Tensor) -> torch.Tensor:
        batch = batch.to(self.device)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch

    def _losses(self, batch: torch.Tensor) -> tuple[torch.Tensor, LossParts]:
        with torch.autocast(self.device.type, dtype=torch.float16, enabled=self.amp):
            maps = self.net(batch)
        maps = maps.float()
        enhanced = apply_curves(batch, maps)
        return self.criterion(batch, enhanced, maps)

    def step_on(self, batch: torch.Tensor) -> LossParts:
        """One optimisation step on ``batch`` ``(B, 3, crop, crop)`` in [0, 1].

        Raises :class:`TrainingError` when the loss is NaN or infinite (nothing is updated).
        """
        self.net.train()
        loss, parts = self._losses(self._to_device(batch))
        if not math.isfinite(parts.total):
            raise TrainingError(
                f"the loss became {'NaN' if math.isnan(parts.total) else 'infinite'}"
            )
        self.optimizer.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
        else:
            loss.backward()
        torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.config.grad_clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()
        clean_module_(self.net)
        return parts

    def validate(self, report: Callable[[Progress], None] = lambda _p: None) -> LossParts | None:
        """Mean losses on the validation files (centre squares at the crop size); ``None``
        when none is held out or none can be read (a warning says so, once)."""
        if not self.data.val_files:
            return None
        if self._val_batches is None:
            loaded = (self._load(p, report) for p in self.data.val_files)
            images = [center_square(img, self.config.crop) for img in loaded if img is not None]
            if not images:
                report(
                    TrainWarning(
                        f"none of the {len(self.data.val_files)} validation photos can be "
                        "read: the run has no validation losses"
                    )
                )
            bs = self.config.batch_size
            self._val_batches = [torch.stack(images[i : i + bs]) for i in range(0, len(images), bs)]
        self.net.eval()
        with torch.no_grad():
            parts = [self._losses(self._to_device(b))[1] for b in self._val_batches]
        return _mean_parts(parts) if parts else None

    def _epoch_batches(self, epoch: int) -> tuple[torch.Generator, list[list[Path]]]:
        gen = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)
        order = torch.randperm(len(self.data.train_files), generator=gen).tolist()
        files = [self.data.train_files[i] for i in order]
        bs = self.config.batch_size
        batches = [files[i : i + bs] for i in range(0, len(files), bs)]
        return gen, batches

    def _kept(self, epochs_done: int) -> str:
        """What the run keeps when it stops during epoch ``epochs_done + 1``."""
        if self.checkpoint_path.is_file():
            return (
                f"The last good checkpoint (epoch {epochs_done}) is kept at {self.checkpoint_path}"
            )
        return "No epoch had finished, so there is no checkpoint to resume from"

    def save_checkpoint(self, epochs_done: int) -> Path:
        """Write the checkpoint after ``epochs_done`` epochs (atomically: the previous one
        stays whole until the new one is complete). Raises :class:`TrainingError` when it
        cannot be written (a full disk, no permission)."""
        state = {
            "format": 1,
            "arch": self.net.arch,
            "base": self.base_name,
            "epoch": epochs_done,
            "model": {k: v.detach().cpu().contiguous() for k, v in self.net.state_dict().items()},
            "optimizer": self.optimizer.state_dict(),
            "rng": torch.get_rng_state(),
            "config": asdict(self.config),
            "history": self.history,
        }
        info = RunInfo(self.run_dir, epochs_done, asdict(self.config), list(self.history))
        return write_checkpoint(self.run_dir, self.checkpoint_path, state, info, epochs_done)

    def run(
        self,
        on_progress: Callable[[Progress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        save_as: Path | None = None,
    ) -> TrainResult:
        """Train from ``start_epoch`` to ``config.epochs``; see :func:`train`."""
        cfg = self.config
        report = on_progress or (lambda _p: None)
        should_stop = cancel or (lambda: False)
        step_times: list[float] = []
        self.data.require_readable(lambda path: self._load(path, report), self._unreadable)
        for epoch in range(self.start_epoch, cfg.epochs):
            t_epoch = time.perf_counter()
            gen, batches = self._epoch_batches(epoch)
            parts: list[LossParts] = []
            for step, files in enumerate(batches, 1):
                if should_stop():
                    return self._result(RunStatus.CANCELLED, epoch, None)
                t0 = time.perf_counter()
                crops = []
                for path in files:  # decoding large photos takes a while: stop between them
                    if should_stop():
                        return self._result(RunStatus.CANCELLED, epoch, None)
                    img = self._load(path, report)
                    if img is not None:
                        crops.append(random_crop(img, cfg.crop, cfg.scale_min, cfg.flips, gen))
                if not crops:
                    continue
                try:
                    parts.append(self.step_on(torch.stack(crops)))
                except TrainingError as exc:
                    raise TrainingError(
                        f"{exc} at epoch {epoch + 1}, step {step}; training stopped. "
                        f"{self._kept(epoch)}; try a lower learning rate (--lr)"
                    ) from exc
                step_times.append((time.perf_counter() - t0) / len(crops))
                per_image = float(np.mean(step_times[-20:]))
                remaining = (len(batches) - step) * cfg.batch_size + (cfg.epochs - epoch - 1) * len(
                    self.data.train_files
                )
                report(
                    StepProgress(
                        epoch + 1,
                        cfg.epochs,
                        step,
                        len(batches),
                        parts[-1],
                        1.0 / per_image,
                        remaining * per_image,
                    )
                )
            if not parts:  # every photo became unreadable since the run started
                raise TrainingError(
                    f"epoch {epoch + 1}: {self.data.unreadable_message(self._unreadable)}; "
                    f"training stopped. {self._kept(epoch)}"
                )
            if not all(bool(torch.isfinite(p).all()) for p in self.net.parameters()):
                raise TrainingError(
                    f"the weights became NaN or infinite at epoch {epoch + 1}; training "
                    f"stopped. {self._kept(epoch)}; try a lower learning rate (--lr)"
                )
            train_mean = _mean_parts(parts)
            val = self.validate(report)
            self.history.append(
                {
                    "epoch": epoch + 1,
                    "train": asdict(train_mean),
                    "val": asdict(val) if val else None,
                    "seconds": time.perf_counter() - t_epoch,
                }
            )
            path = self.save_checkpoint(epoch + 1)
            report(
                EpochDone(
                    epoch + 1, cfg.epochs, train_mean, val, time.perf_counter() - t_epoch, path
                )
            )
        self.check_effect(report)
        model_path = self.export(save_as)
        return self._result(RunStatus.FINISHED, cfg.epochs, model_path)

    def check_effect(self, report: Callable[[Progress], None] = lambda _p: None) -> None:
        """Raise :class:`~zdce_core.training_check.ModelRefused` when the trained network
        crushes the run's darkest photos (any not read yet are read to find them) to black
        or white, or darkens them: such a model is not saved."""
        photos = {*self.data.train_files, *self.data.val_files}
        for path in sorted(photos - self._brightness.keys()):
            self._load(path, report)
        files = darkest_photos(self._brightness)
        check_trained_model(self.net, files, lambda p: self._load(p, report), self.checkpoint_path)

    def _result(self, status: RunStatus, epochs_done: int, model_path: Path | None) -> TrainResult:
        return TrainResult(status, epochs_done, list(self.history), self.run_dir, model_path)

    def export(self, path: Path | None = None) -> Path:
        """Save the current weights as a named model (default: the user model folder)."""
        metadata = model_metadata(
            self.config, self.base_name, self.data.train_files, self.data.val_files, self.history
        )
        target = model_target(self.config, path)
        return save_trained_model(self.net, target, metadata, self.checkpoint_path)


def export_checkpoint(run_dir: Path, path: Path | None = None, check: bool = False) -> Path:
    """Save the last completed epoch of the run in ``run_dir`` as a named model; with
    ``check``, only if it passes :meth:`Trainer.check_effect` (else nothing is saved)."""
    info = read_run_info(run_dir)
    if info is None:
        raise TrainingError(f"no checkpoint in {run_dir}")
    trainer = Trainer(TrainConfig(**info.config), run_dir=run_dir, resume=True)
    if check:
        trainer.check_effect()
    return trainer.export(path)


def train(
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    run_dir: Path | None = None,
    resume: bool = False,
    save_as: Path | None = None,
    replace: bool = False,
) -> TrainResult:
    """Train (or resume) a model and save it as a named model when all epochs are done.

    The run folder is locked while it trains, and a new training of a name whose run or
    model exists is refused unless ``resume`` or ``replace`` (see :func:`claim_run`).

    Progress: a :class:`StepProgress` per step and an :class:`EpochDone` per epoch, after its
    checkpoint (model, optimiser, epoch, RNG state, history) is written atomically to
    ``run_dir``. ``cancel()`` is checked before every step; a cancelled run keeps the last
    completed epoch's checkpoint for ``resume=True``. Raises :class:`TrainingError` for too few
    images or none that can be read, a missing checkpoint on resume, a NaN/inf loss or
    weights (nothing is saved), a model that fails the check (``ModelRefused``), or a
    checkpoint or model that cannot be written (a full disk: the previous checkpoint is kept
    whole); :class:`~zdce_core.training_runs.RunLocked` and
    :class:`~zdce_core.training_runs.NameInUse` (both :class:`TrainingError`) before any work.
    """
    with claim_run(config, run_dir, resume, replace, save_as) as folder:
        trainer = Trainer(config, run_dir=folder, resume=resume)
        with torch_threads(available_cores()):  # large convolutions with gradients: intra-op
            return trainer.run(on_progress, cancel, save_as)
