"""Zero-reference training: datasets of dark photos, the training loop, checkpoints, resume.

The loop is a plain function that reports progress dataclasses through a callback and checks a
cancel callable between steps; it knows nothing of threads or Qt.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core import nets
from zdce_core.adjustments import FIXED_FULL
from zdce_core.atomic import atomic_path
from zdce_core.curves import apply_curves
from zdce_core.device import pick_device
from zdce_core.discovery import IgnoreKind, discover
from zdce_core.enhancer import Enhancer
from zdce_core.errors import UserFacingError
from zdce_core.image_io import ImageReadError, eight_bit, read_image
from zdce_core.losses import LossParts, LossWeights, ZeroReferenceLoss
from zdce_core.model_store import open_model, user_models_dir
from zdce_core.parallel import available_cores, torch_threads
from zdce_core.pipeline import BrokenResult, check_result, enhance_photo
from zdce_core.resources import user_data_dir
from zdce_core.weights import LoadedModel, clean_module_, save_model

MIN_IMAGES = 4
CHECKPOINT_NAME = "checkpoint.pt"


class TrainingError(UserFacingError, RuntimeError):
    """Training cannot start or had to stop (too few images, a diverged loss, …)."""


CHECK_PHOTOS = 16
"""Photos a trained model is tried on before it is saved."""
DARKENING = 0.02
"""A trained model that lowers their mean brightness by more than this is not saved."""


@dataclass
class TrainConfig:
    """Everything that defines a training run.

    ``base``: a model spec to fine-tune (see :func:`zdce_core.model_store.resolve_model`), or
    ``None`` to train ``arch`` from scratch. ``crop``: training patch side in pixels.
    ``scale_min``: the smallest crop side as a fraction of the image's short side (1.0 = the
    largest centred-anywhere square, resized: the reference recipe). ``val_every``: every
    n-th file (sorted) is held out for validation. ``loss_weights``: overrides of the
    reference weights, e.g. ``{"tv": 400}``.
    """

    data: list[str]
    name: str
    arch: str = "dcenet"
    base: str | None = "default"
    epochs: int = 10
    crop: int = 256
    batch_size: int = 8
    lr: float = 1e-4
    weight_decay: float = 1e-4
    grad_clip: float = 0.1
    exposure_target: float = 0.6
    loss_weights: dict[str, float] = field(default_factory=dict)
    scale_min: float = 1.0
    flips: bool = True
    val_every: int = 20
    seed: int = 0
    device: str = "auto"

    def validate(self) -> None:
        """Raise ``ValueError`` for values that make no sense or would wreck the model
        (a learning rate of 1000 trains a model that blacks out every photo)."""
        for name, value, low, high in (
            ("epochs", self.epochs, 1, 100_000),
            ("batch size", self.batch_size, 1, 1024),
            ("crop", self.crop, 16, 4096),
            ("learning rate", self.lr, 1e-8, 0.01),
            ("weight decay", self.weight_decay, 0.0, 0.1),
            ("gradient clip", self.grad_clip, 1e-4, 100.0),
            ("exposure target", self.exposure_target, 0.2, 0.9),
            ("scale min", self.scale_min, 0.01, 1.0),
            ("val every", self.val_every, 2, 100_000),
            *((f"loss weight {k}", v, 0.0, 1e5) for k, v in self.loss_weights.items()),
        ):
            if not low <= value <= high:  # also catches NaN
                raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
        if self.crop % 16:
            raise ValueError(f"crop must be a multiple of 16, got {self.crop}")


@dataclass(frozen=True)
class StepProgress:
    """Reported after every optimisation step; ``losses`` are this batch's."""

    epoch: int
    epochs: int
    step: int
    steps: int
    losses: LossParts
    images_per_second: float
    eta_seconds: float


@dataclass(frozen=True)
class EpochDone:
    """Reported after each epoch (1-based), once its checkpoint is written."""

    epoch: int
    epochs: int
    train: LossParts
    val: LossParts | None
    seconds: float
    checkpoint: Path


@dataclass(frozen=True)
class TrainWarning:
    """Something the user should know that does not stop training (an unreadable file)."""

    message: str


@dataclass(frozen=True)
class TrainResult:
    """How a run ended: ``status`` is ``"finished"`` or ``"cancelled"``."""

    status: str
    epochs_done: int
    history: list[dict]
    run_dir: Path
    model_path: Path | None


Progress = StepProgress | EpochDone | TrainWarning


def load_training_image(path: Path, min_side: int) -> Image.Image:
    """An 8-bit RGB Pillow image of ``path``, orientation applied, short side ≥ ``min_side``
    where the source allows (large JPEGs are decoded at a reduced scale for speed)."""
    photo = read_image(path)
    pixels = photo.pixels
    pixels = eight_bit(pixels)
    img = Image.fromarray(pixels)
    short = min(img.size)
    if short > 2 * min_side:
        factor = short / (2 * min_side)
        img = img.resize((round(img.width / factor), round(img.height / factor)), Image.BOX)
    return img


def to_tensor(img: Image.Image) -> torch.Tensor:
    """``(3, H, W)`` float32 in [0, 1] from an RGB Pillow image."""
    return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).permute(2, 0, 1)


def random_crop(
    img: Image.Image, crop: int, scale_min: float, flips: bool, gen: torch.Generator
) -> torch.Tensor:
    """A random square of side in [scale_min·short, short], resized to ``crop``², maybe flipped."""
    short = min(img.size)
    lo = max(1, round(scale_min * short))
    side = int(torch.randint(lo, short + 1, (1,), generator=gen))
    x0 = int(torch.randint(0, img.width - side + 1, (1,), generator=gen))
    y0 = int(torch.randint(0, img.height - side + 1, (1,), generator=gen))
    patch = img.resize((crop, crop), Image.BILINEAR, box=(x0, y0, x0 + side, y0 + side))
    t = to_tensor(patch)
    if flips and bool(torch.randint(0, 2, (1,), generator=gen)):
        t = t.flip(2)
    return t


def center_square(img: Image.Image, crop: int) -> torch.Tensor:
    """The largest centred square, resized to ``crop``²: the fixed validation view."""
    short = min(img.size)
    x0, y0 = (img.width - short) // 2, (img.height - short) // 2
    return to_tensor(img.resize((crop, crop), Image.BILINEAR, box=(x0, y0, x0 + short, y0 + short)))


def split_files(files: Sequence[Path], val_every: int) -> tuple[list[Path], list[Path]]:
    """``(training, validation)``: every ``val_every``-th file of the sorted list is held out."""
    ordered = sorted(files)
    val = ordered[val_every - 1 :: val_every]
    held_out = set(val)
    return [p for p in ordered if p not in held_out], val


@dataclass
class Dataset:
    """Training and validation files found in ``folders`` (any format :func:`read_image` reads).

    Every ``val_every``-th file in sorted order is held out for validation.
    """

    train_files: list[Path]
    val_files: list[Path]
    skipped: list[tuple[Path, str]]

    @classmethod
    def from_folders(cls, folders: Sequence[str], val_every: int) -> Dataset:
        found, ignored = discover(folders, recursive=True)
        files = sorted(f.path for f in found)
        skipped = [(i.path, i.reason) for i in ignored if i.kind is not IgnoreKind.HIDDEN]
        if len(files) < MIN_IMAGES:
            raise TrainingError(
                f"found {len(files)} image(s) in {', '.join(map(str, folders))}; "
                f"training needs at least {MIN_IMAGES}"
            )
        train, val = split_files(files, val_every)
        return cls(train, val, skipped)


def _mean_parts(parts: list[LossParts]) -> LossParts:
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
                m.bias.zero_()


def run_dir_for(name: str) -> Path:
    return user_data_dir() / "runs" / name


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
            ckpt = torch.load(self.checkpoint_path, map_location="cpu", weights_only=True)
            saved = TrainConfig(**ckpt["config"])
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
        self.channels_last = self.device.type == "cpu"
        memory_format = torch.channels_last if self.channels_last else torch.contiguous_format
        self.net.to(self.device, memory_format=memory_format)
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=config.lr, weight_decay=config.weight_decay
        )
        self.amp = self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda") if self.amp else None
        weights = LossWeights.for_arch(self.net.arch, **config.loss_weights)
        self.criterion = ZeroReferenceLoss(weights, config.exposure_target)
        if ckpt is not None:
            self.net.load_state_dict(ckpt["model"])
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.start_epoch = int(ckpt["epoch"])
            self.history = list(ckpt["history"])
            torch.set_rng_state(ckpt["rng"])
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
            raise TrainingError(f"the loss became {parts.total}")
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
        """Mean losses on the validation files (centre squares at the crop size)."""
        if not self.data.val_files:
            return None
        if self._val_batches is None:
            loaded = (self._load(p, report) for p in self.data.val_files)
            images = [center_square(img, self.config.crop) for img in loaded if img is not None]
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

    def save_checkpoint(self, epochs_done: int) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
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
        with atomic_path(self.checkpoint_path) as tmp:
            torch.save(state, tmp)
        return self.checkpoint_path

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
        for epoch in range(self.start_epoch, cfg.epochs):
            t_epoch = time.perf_counter()
            gen, batches = self._epoch_batches(epoch)
            parts: list[LossParts] = []
            for step, files in enumerate(batches, 1):
                if should_stop():
                    return self._result("cancelled", epoch, None)
                t0 = time.perf_counter()
                crops = [
                    random_crop(img, cfg.crop, cfg.scale_min, cfg.flips, gen)
                    for img in (self._load(p, report) for p in files)
                    if img is not None
                ]
                if not crops:
                    continue
                try:
                    parts.append(self.step_on(torch.stack(crops)))
                except TrainingError as exc:
                    kept = (
                        f"The last good checkpoint (epoch {epoch}) is kept at "
                        f"{self.checkpoint_path}"
                        if self.checkpoint_path.is_file()
                        else "No epoch had finished, so there is no checkpoint to resume from"
                    )
                    raise TrainingError(
                        f"{exc} at epoch {epoch + 1}, step {step}; training stopped. {kept}; "
                        "try a lower --lr"
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
        return self._result("finished", cfg.epochs, model_path)

    def check_effect(self, report: Callable[[Progress], None] = lambda _p: None) -> None:
        """Raise :class:`TrainingError` when the trained network, at full strength, crushes
        the validation photos (the first training photos when none are held out) to black
        or white, or darkens them: such a model is not saved."""
        files = (self.data.val_files or self.data.train_files)[:CHECK_PHOTOS]
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

    def _result(self, status: str, epochs_done: int, model_path: Path | None) -> TrainResult:
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
        return save_model(self.net, path or user_models_dir() / f"{cfg.name}.safetensors", metadata)


def read_checkpoint_info(run_dir: Path) -> dict | None:
    """``{"epoch", "config", "history"}`` of the checkpoint in ``run_dir``, or ``None``."""
    path = Path(run_dir) / CHECKPOINT_NAME
    if not path.is_file():
        return None
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    return {"epoch": int(ckpt["epoch"]), "config": ckpt["config"], "history": ckpt["history"]}


def unfinished_runs() -> list[tuple[str, dict]]:
    """``(name, checkpoint info)`` of runs in the user data folder that stopped before their
    last epoch, the most recent first."""
    runs_dir = user_data_dir() / "runs"
    found = []
    checkpoints = runs_dir.glob(f"*/{CHECKPOINT_NAME}") if runs_dir.is_dir() else []
    for path in sorted(checkpoints, key=lambda p: p.stat().st_mtime, reverse=True):
        info = read_checkpoint_info(path.parent)
        if info is not None and info["epoch"] < int(info["config"]["epochs"]):
            found.append((path.parent.name, info))
    return found


def export_checkpoint(run_dir: Path, path: Path | None = None) -> Path:
    """Save the last completed epoch of the run in ``run_dir`` as a named model."""
    info = read_checkpoint_info(run_dir)
    if info is None:
        raise TrainingError(f"no checkpoint in {run_dir}")
    config = TrainConfig(**info["config"])
    return Trainer(config, run_dir=run_dir, resume=True).export(path)


DARK_BELOW = 0.3
"""Mean gray (0–1) under which a photo counts as dark for the dataset check."""


@dataclass(frozen=True)
class ScannedImage:
    """A candidate training photo: ``mean_gray`` in [0, 1] and a small ``(h, w, 3)`` uint8
    thumbnail, or ``error`` when it cannot be read."""

    path: Path
    mean_gray: float | None = None
    thumbnail: np.ndarray | None = None
    error: str = ""


def scan_images(
    inputs: Sequence[str | Path],
    thumb_size: int = 96,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[ScannedImage]:
    """Read every image under ``inputs`` (folders recursively) for a dataset check."""
    found, _ = discover(inputs, recursive=True)
    for f in found:
        if cancel is not None and cancel():
            return
        try:
            img = load_training_image(f.path, thumb_size)
        except ImageReadError as exc:
            yield ScannedImage(f.path, error=str(exc))
            continue
        img.thumbnail((thumb_size, thumb_size))
        thumb = np.asarray(img)
        yield ScannedImage(f.path, float(thumb.mean()) / 255.0, thumb)


def snapshot_enhancer(net: nets.CurveNet) -> Enhancer:
    """A CPU enhancer on a copy of ``net`` (e.g. mid-training); ``net`` is left untouched."""
    snapshot = copy.deepcopy(net).float().cpu().eval()
    snapshot.to(memory_format=torch.contiguous_format)
    return Enhancer(LoadedModel(snapshot), "cpu")


def enhance_with(net: nets.CurveNet, pixels: np.ndarray) -> np.ndarray:
    """``pixels`` ``(H, W, 3)`` enhanced by a copy of ``net`` (e.g. mid-training), on the CPU,
    at full strength with nothing else: the network's own effect."""
    return enhance_photo(snapshot_enhancer(net), pixels, FIXED_FULL).pixels


def train(
    config: TrainConfig,
    on_progress: Callable[[Progress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    run_dir: Path | None = None,
    resume: bool = False,
    save_as: Path | None = None,
) -> TrainResult:
    """Train (or resume) a model and save it as a named model when all epochs are done.

    Progress: a :class:`StepProgress` per step and an :class:`EpochDone` per epoch, after its
    checkpoint (model, optimiser, epoch, RNG state, history) is written atomically to
    ``run_dir``. ``cancel()`` is checked before every step; a cancelled run keeps the last
    completed epoch's checkpoint for ``resume=True``. Raises :class:`TrainingError` for too few
    images, a missing checkpoint on resume, or a NaN/inf loss.
    """
    trainer = Trainer(config, run_dir=run_dir, resume=resume)
    with torch_threads(available_cores()):  # large convolutions with gradients: intra-op
        return trainer.run(on_progress, cancel, save_as)
