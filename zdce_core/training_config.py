"""What defines a training run, its presets, and what it reports. Light to import (no torch):
the CLI's usage errors and the app's training dialog read the same defaults from here.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from zdce_core.errors import UserFacingError
from zdce_core.model_names import check_model_name

if TYPE_CHECKING:
    from zdce_core.losses import LossParts

MIN_IMAGES = 4
FEW_IMAGES = 20
"""With fewer photos a run still trains, but the app warns that the model may not generalise."""


class TrainingError(UserFacingError, RuntimeError):
    """Training cannot start or had to stop (too few images, a diverged loss, …)."""


class RunStatus(Enum):
    """How a training run ended."""

    FINISHED = "finished"
    CANCELLED = "cancelled"


class Preset(Enum):
    """Starting points of a run. ``FINE_TUNE`` adapts the bundled model to the user's photos
    (half the reference learning rate; crops from half to all of the short side, so that
    details count); ``REFERENCE`` trains from scratch with the paper's recipe (whole images
    resized, learning rate 1e-4)."""

    FINE_TUNE = "fine-tune"
    REFERENCE = "reference"


class LossName(Enum):
    """The four zero-reference losses whose weights ``--loss-weight NAME=W`` overrides."""

    SPA = "spa"
    EXP = "exp"
    COL = "col"
    TV = "tv"


LOSS_WEIGHT_SYNTAX = (
    f"NAME=NUMBER with NAME one of {', '.join(n.value for n in LossName)} "
    "and a number such as 400 or 1e3 (e.g. tv=400)"
)


def parse_loss_weight(item: str) -> tuple[LossName, float]:
    """``"tv=400"`` → ``(LossName.TV, 400.0)``; ``ValueError`` naming the allowed names and
    that the weight is a number for anything else (an unknown name, no ``=``, ``tv=abc``,
    a weight that is not finite)."""
    key, sep, value = item.partition("=")
    try:
        name = LossName(key.strip())
        weight = float(value)
    except ValueError:
        raise ValueError(f"--loss-weight wants {LOSS_WEIGHT_SYNTAX}, got {item!r}") from None
    if not sep or not math.isfinite(weight):
        raise ValueError(f"--loss-weight wants {LOSS_WEIGHT_SYNTAX}, got {item!r}")
    return name, weight


TRAINING_BYTES_PER_PIXEL = {"dcenet": 3500, "dcenet++": 4500}
"""Memory one training step takes per pixel of the batch (``batch × crop²`` pixels): the
activations kept for the backward pass (the net's 32-channel feature maps, their
concatenations, the 24 curve maps and the 8 curve iterations, float32), their gradients and
the losses' intermediates. Measured once as the peak resident memory of two Adam steps on the
CPU (channels_last, 2 threads), batch 4, crops of 128 and 256: 3450 and 3150 bytes for
DCE-Net, 4700 and 3860 for DCE-Net++; rounded up. A rough figure: the model's weights and the
loaded photos come on top, mixed precision on a GPU takes somewhat less."""
MEMORY_SHARE = 0.75
"""A run whose estimate exceeds this share of the device's memory is refused."""


def training_bytes(arch: str, crop: int, batch_size: int) -> int:
    """About how much memory a training step of ``arch`` on ``batch_size`` crops of ``crop``
    pixels takes (see :data:`TRAINING_BYTES_PER_PIXEL`)."""
    per_pixel = TRAINING_BYTES_PER_PIXEL.get(arch, max(TRAINING_BYTES_PER_PIXEL.values()))
    return batch_size * crop * crop * per_pixel


def physical_memory() -> int | None:
    """This machine's memory in bytes, or ``None`` where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # Windows has no sysconf
        return None


def _size_text(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


class NotEnoughMemory(TrainingError):
    """The crop and batch size asked for need more memory than the device has (a usage
    error: the message says the estimate and what to lower)."""

    def __init__(self, config: TrainConfig, device: str, needed: int, total: int) -> None:
        limit = int(total * MEMORY_SHARE)
        per_crop = training_bytes(config.arch, config.crop, 1)
        batch = limit // per_crop
        crop = 16 * int(math.sqrt(limit / training_bytes(config.arch, 1, config.batch_size)) // 16)
        lower = []
        if batch >= 1:
            lower.append(f"--batch-size to {batch}")
        if crop >= 16:
            lower.append(f"--crop to {crop}")
        advice = " or ".join(lower) if lower else "--batch-size and --crop"
        super().__init__(
            f"training {config.arch} on batches of {config.batch_size} crops of "
            f"{config.crop}×{config.crop} needs about {_size_text(needed)} of memory, more than "
            f"{MEMORY_SHARE:.0%} of the {_size_text(total)} of {device}: lower {advice}"
        )
        self.needed = needed
        self.total = total


def check_training_memory(config: TrainConfig, device: str, total: int | None) -> None:
    """Raise :class:`NotEnoughMemory` when a step of ``config`` would take more than
    :data:`MEMORY_SHARE` of ``total`` bytes (the memory of ``device``, named as the user reads
    it); nothing is checked when ``total`` is unknown."""
    needed = training_bytes(config.arch, config.crop, config.batch_size)
    if total and needed > total * MEMORY_SHARE:
        raise NotEnoughMemory(config, device, needed, total)


def validation_every(photos: int) -> int:
    """Hold out every n-th photo: every 20th of a large set, about a quarter of a small one."""
    return max(3, min(20, photos // 4))


@dataclass
class TrainConfig:
    """Everything that defines a training run.

    ``base``: a model spec to fine-tune (see :func:`zdce_core.model_store.resolve_model`), or
    ``None`` to train ``arch`` from scratch. ``crop``: training patch side in pixels.
    ``scale_min``: the smallest crop side as a fraction of the image's short side (1.0 = the
    largest centred-anywhere square, resized: the reference recipe). ``val_every``: every
    n-th file (sorted) is held out for validation (``None``: :func:`validation_every` of the
    photo count). ``loss_weights``: overrides of the architecture's reference weights, e.g.
    ``{"tv": 400}``. Build one with :func:`preset_config`: the CLI and the app share it.
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
    val_every: int | None = None
    seed: int = 0
    device: str = "auto"

    def validate(self) -> None:
        """Raise ``ValueError`` for values that make no sense or would wreck the model
        (a learning rate of 1000 trains a model that blacks out every photo), and
        :class:`~zdce_core.errors.ModelFileError` (a ``ValueError``) for a name that
        :func:`~zdce_core.model_names.check_model_name` refuses: the name becomes a file in the
        model folder and a training-run folder."""
        for name, value, low, high in (
            ("epochs", self.epochs, 1, 100_000),
            ("batch size", self.batch_size, 1, 1024),
            ("crop", self.crop, 16, 4096),
            ("learning rate", self.lr, 1e-8, 0.01),
            ("weight decay", self.weight_decay, 0.0, 0.1),
            ("gradient clip", self.grad_clip, 1e-4, 100.0),
            ("exposure target", self.exposure_target, 0.2, 0.9),
            ("scale min", self.scale_min, 0.01, 1.0),
            ("val every", self.val_every or 20, 2, 100_000),
            *((f"loss weight {k}", v, 0.0, 1e5) for k, v in self.loss_weights.items()),
        ):
            if not low <= value <= high:  # also catches NaN
                raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value:g}")
        if self.crop % 16:
            raise ValueError(f"crop must be a multiple of 16, got {self.crop}")
        if check_model_name(self.name) != self.name:  # raises for an unusable name
            raise ValueError(
                f"the model name {self.name!r} has spaces at its ends or is not in composed "
                f"Unicode form: use {check_model_name(self.name)!r}"
            )


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
    """How a run ended, after how many epochs, and the model it saved (if it finished)."""

    status: RunStatus
    epochs_done: int
    history: list[dict]
    run_dir: Path
    model_path: Path | None


Progress = StepProgress | EpochDone | TrainWarning


RESUME_OPTIONS = {
    "arch": "--arch",
    "base": "--base",
    "crop": "--crop",
    "batch_size": "--batch-size",
    "lr": "--lr",
    "weight_decay": "--weight-decay",
    "grad_clip": "--grad-clip",
    "exposure_target": "--exposure-target",
    "loss_weights": "--loss-weight",
    "scale_min": "--scale-min",
    "flips": "--no-flips",
    "val_every": "--val-every",
    "seed": "--seed",
}
"""The settings a resumed run keeps from its start (field → the ``zdce train`` option); only
``epochs`` (and the device) are taken from the command that resumes it."""


@dataclass(frozen=True)
class ResumeDifference:
    """A setting given when resuming that differs from the one the run was started with:
    ``option`` as the user typed it, the ``given`` value and the run's (``kept``)."""

    option: str
    given: object
    kept: object

    def describe(self) -> str:
        """E.g. ``--lr 1e-05 (the run's: 5e-05)``."""
        if self.option == "folders":
            return f"the folders (the run's: {_setting_text(self.kept)})"
        if self.option == "--no-flips":
            return "--no-flips (the run flips)"
        return f"{self.option} {_setting_text(self.given)} (the run's: {_setting_text(self.kept)})"


def _setting_text(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    if isinstance(value, dict):
        return ",".join(f"{k}={v:g}" for k, v in sorted(value.items())) or "none"
    return "none" if value is None else str(value)


def _folders(data: list[str]) -> set[Path]:
    return {Path(d).resolve() for d in data}


def resume_differences(config: TrainConfig, given: set[str], saved: dict) -> list[ResumeDifference]:
    """The settings of ``config`` the user gave (``given``: field names) that differ from those
    of the run to resume (``saved``, :class:`TrainConfig` as a dict): a resumed run keeps its
    own (see :data:`RESUME_OPTIONS`), so front ends tell the user instead of ignoring them.
    The photo folders count when they are not the run's."""
    found = []
    if "data" in saved and _folders(config.data) != _folders(list(saved["data"])):
        found.append(ResumeDifference("folders", config.data, list(saved["data"])))
    for name, option in RESUME_OPTIONS.items():
        if name in given and name in saved:
            value, kept = getattr(config, name), saved[name]
            if name == "loss_weights":  # the overrides given, as the run saved its own
                value = {k: float(v) for k, v in value.items()}
                kept = {k: float(v) for k, v in dict(kept).items()}
            if value == kept:
                continue
            found.append(ResumeDifference(option, value, kept))
    return found


_PRESETS: dict[Preset, dict] = {
    Preset.FINE_TUNE: {"base": "default", "lr": 5e-5, "scale_min": 0.5},
    Preset.REFERENCE: {"base": None, "lr": 1e-4, "scale_min": 1.0},
}


def preset_config(preset: Preset, data: list[str], name: str, **overrides: object) -> TrainConfig:
    """The configuration of ``preset`` for the photo folders ``data`` and the model ``name``,
    with ``overrides`` (what the user chose; ``None`` values are left at the preset's)."""
    config = TrainConfig(data=data, name=name, **_PRESETS[preset])
    return replace(config, **{k: v for k, v in overrides.items() if v is not None})
