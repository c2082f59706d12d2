"""Zero-reference training: the loop, the check before a model is saved, and resume.

The loop is a plain method that reports progress dataclasses through a callback and checks a
cancel callable before every step; it knows nothing of threads or Qt. Settings and presets
live in :mod:`zdce_core.training_config`, data in :mod:`zdce_core.training_data`, run folders
in :mod:`zdce_core.training_runs`.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import io
import math
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors import SafetensorError

from zdce_core import nets
from zdce_core.adjustments import FIXED_FULL
from zdce_core.curves import apply_curves
from zdce_core.device import pick_device
from zdce_core.enhancer import Enhancer
from zdce_core.image_io import ImageReadError
from zdce_core.losses import LossParts, LossWeights, ZeroReferenceLoss
from zdce_core.model_store import open_model, user_models_dir
from zdce_core.parallel import available_cores, torch_threads
from zdce_core.pipeline import BrokenResult, check_result, enhance_photo
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
    physical_memory,
)
from zdce_core.training_data import Dataset, center_square, load_training_image, random_crop
from zdce_core.training_runs import (
    CHECKPOINT_NAME,
    CheckpointDamaged,
    CheckpointDefect,
    NameInUse,
    RunInfo,
    existing_work,
    lock_run,
    read_resumable_checkpoint,
    read_run_info,
    run_dir_for,
    write_run,
)
from zdce_core.weights import LoadedModel, clean_module_, save_model

CHECK_PHOTOS = 16
"""Photos a trained model is tried on before it is saved."""
DARKENING = 0.02
"""A trained model that lowers their mean brightness by more than this is not saved."""


def _mean_parts(parts: list[LossParts]) -> LossParts:
    """The mean of each loss over ``parts`` (at least one)."""
    if not parts:
        raise ValueError("no losses to average")
    return LossParts(
        *(float(np.mean([getattr(p, f) for p in parts])) for f in LossParts.__dataclass_fields__)
    )


def _init_weights(net: torch.nn.Module, seed: int) -> None:
    """Reference initialisation: conv weights N(0, 0.02), biases 0."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, torch.nn.Conv2d):
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
                if m.bias is not None:
                    m.bias.zero_()


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
        if ckpt is not None:
            self.net = nets.build(ckpt["arch"])
            self.base_name = ckpt["base"]
        elif config.base is None:
            self.net = nets.build(config.arch)
            _init_weights(self.net, config.seed)
            self.base_name = "none (from scratch)"
        else:
            loaded = open_model(config.base)
            self.net = loaded.net
            self.base_name = str(loaded.path.name if loaded.path else config.base)
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

    def _load(self, path: Path, report: Callable[[Progress], None]) -> Image.Image | None:
        """The training image at ``path``, or ``None`` (warned about once) if unreadable."""
        if path in self._unreadable:
            return None
        try:
            return load_training_image(path, self.config.crop)
        except ImageReadError as exc:
            self._unreadable[path] = str(exc)
            report(TrainWarning(f"skipped {path}: {exc}"))
            return None

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
        before = _identity(self.checkpoint_path)
        try:
            return write_run(self.run_dir, state, info)
        except (OSError, RuntimeError, SafetensorError) as exc:
            reason = _write_failure(exc, self.run_dir, lambda: _serialized_size(state))
            if reason is None:
                raise
            after = _identity(self.checkpoint_path)
            if after is None:
                kept = "no checkpoint was written yet"
            else:  # the checkpoint is written before run.json: it may be the new one
                epoch = epochs_done - 1 if after == before else epochs_done
                kept = f"the checkpoint of epoch {epoch} is kept at {self.checkpoint_path}"
            raise TrainingError(
                f"cannot save the checkpoint to {self.run_dir}: {reason}; {kept}"
            ) from exc

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
        """Raise :class:`TrainingError` when the trained network, at full strength, crushes
        the validation photos (the first training photos when none are held out) to black
        or white, or darkens them: such a model is not saved."""
        readable = [p for p in self.data.val_files if p not in self._unreadable]
        files = (readable or self.data.train_files)[:CHECK_PHOTOS]
        kept = f"it was not saved (the run's checkpoint is kept at {self.checkpoint_path})"
        enhancer = snapshot_enhancer(self.net)  # one copy of the network for all the photos
        before, after = [], []
        for path in files:
            image = self._load(path, report)
            if image is None:
                continue
            pixels = np.asarray(image.convert("RGB"))
            result = enhance_photo(enhancer, pixels, FIXED_FULL).pixels
            try:
                check_result(pixels, result)
            except BrokenResult as exc:
                raise TrainingError(
                    f"on {path.name}, {exc.args[0].split(';')[0]}: {kept}. Try a lower --lr "
                    "or fewer epochs"
                ) from exc
            before.append(float(pixels.mean()) / 255.0)
            after.append(float(result.mean()) / 255.0)
        if before and np.mean(after) < np.mean(before) - DARKENING:
            raise TrainingError(
                f"the trained model darkens the photos it was checked on (mean brightness "
                f"{np.mean(before):.2f} → {np.mean(after):.2f}): {kept}. Try a lower --lr, "
                "fewer epochs or a higher --exposure-target"
            )

    def _result(self, status: RunStatus, epochs_done: int, model_path: Path | None) -> TrainResult:
        return TrainResult(status, epochs_done, list(self.history), self.run_dir, model_path)

    def export(self, path: Path | None = None) -> Path:
        """Save the current weights as a named model (default: the user model folder)."""
        cfg = self.config
        last = self.history[-1] if self.history else {}
        metadata = {
            "name": cfg.name,
            "base": self.base_name,
            "data": ", ".join(str(Path(d).resolve()) for d in cfg.data),
            "images": len(self.data.train_files),
            "validation_images": len(self.data.val_files),
            "epochs": len(self.history),
            "crop": cfg.crop,
            "batch_size": cfg.batch_size,
            "lr": cfg.lr,
            "exposure_target": cfg.exposure_target,
            "train_loss": last.get("train"),
            "val_loss": last.get("val"),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "trained_with": "zdce train",
        }
        target = model_target(cfg, path)
        try:
            return save_model(self.net, target, metadata)
        except (OSError, SafetensorError) as exc:
            reason = _write_failure(exc, target.parent, lambda: 0)
            if reason is None:
                raise
            kept = (
                f"; the run's checkpoint is kept at {self.checkpoint_path} (resume the run to "
                "save the model)"
                if self.checkpoint_path.is_file()
                else ""
            )
            raise TrainingError(
                f"cannot save the model to {target.parent}: {reason}{kept}"
            ) from exc


def device_memory(device: torch.device) -> tuple[str, int | None]:
    """The memory training on ``device`` can use, named as the user reads it, and its size in
    bytes (``None`` when unknown): a CUDA GPU's own, else this machine's (MPS shares it)."""
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        return f"the GPU {props.name}", int(props.total_memory)
    return "this machine", physical_memory()


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


def export_checkpoint(run_dir: Path, path: Path | None = None) -> Path:
    """Save the last completed epoch of the run in ``run_dir`` as a named model."""
    info = read_run_info(run_dir)
    if info is None:
        raise TrainingError(f"no checkpoint in {run_dir}")
    return Trainer(TrainConfig(**info.config), run_dir=run_dir, resume=True).export(path)


def snapshot_enhancer(net: nets.CurveNet) -> Enhancer:
    """A CPU enhancer on a copy of ``net`` (e.g. mid-training); ``net`` is left untouched."""
    snapshot = copy.deepcopy(net).float().cpu().eval()
    snapshot.to(memory_format=torch.contiguous_format)  # pyright: ignore[reportCallIssue]
    return Enhancer(LoadedModel(snapshot), "cpu")


def enhance_with(net: nets.CurveNet, pixels: np.ndarray) -> np.ndarray:
    """``pixels`` ``(H, W, 3)`` enhanced by a copy of ``net`` (e.g. mid-training), on the CPU,
    at full strength with nothing else: the network's own effect."""
    return enhance_photo(snapshot_enhancer(net), pixels, FIXED_FULL).pixels


def model_target(config: TrainConfig, save_as: Path | None = None) -> Path:
    """The model file a training of ``config`` saves (``save_as``, else the user model)."""
    return Path(save_as) if save_as else user_models_dir() / f"{config.name}.safetensors"


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
    weights (nothing is saved), or a checkpoint or model that cannot be written (a full disk:
    the previous checkpoint is kept whole); :class:`~zdce_core.training_runs.RunLocked` and
    :class:`~zdce_core.training_runs.NameInUse` (both :class:`TrainingError`) before any work.
    """
    with claim_run(config, run_dir, resume, replace, save_as) as folder:
        trainer = Trainer(config, run_dir=folder, resume=resume)
        with torch_threads(available_cores()):  # large convolutions with gradients: intra-op
            return trainer.run(on_progress, cancel, save_as)
