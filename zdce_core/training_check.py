"""The check before a trained model is saved: tried on the darkest photos of the run, a model
that crushes them to black or white or darkens them is refused; the refusal as data (what
was found, with its numbers, and which settings to change), which each front end words in
its own terms; and the copy of a network used to try it."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core import nets
from zdce_core.adjustments import FIXED_FULL
from zdce_core.enhancer import Enhancer
from zdce_core.pipeline import CRUSHED_SHARE, crushed_shares, enhance_photo
from zdce_core.training_config import TrainingError
from zdce_core.weights import LoadedModel

CHECK_PHOTOS = 16
"""Photos a trained model is tried on before it is saved: the darkest of the run."""
DARKENING = 0.02
"""A trained model that lowers their mean brightness by more than this is not saved."""


class Flaw(Enum):
    """What the check found wrong with a trained model."""

    CRUSHED_BLACK = "black"
    """It turned too much of a photo black."""
    CRUSHED_WHITE = "white"
    """It turned too much of a photo white."""
    DARKENS = "darkens"
    """It lowers the mean brightness of the photos it was tried on."""


class Remedy(Enum):
    """A setting to change before training again (the CLI names its flag, the app its
    setting)."""

    LOWER_LEARNING_RATE = "lower learning rate"
    FEWER_EPOCHS = "fewer epochs"
    HIGHER_EXPOSURE_TARGET = "higher exposure target"


@dataclass(frozen=True)
class Refusal:
    """Why a trained model was not saved: the ``flaw``, on ``photo`` with the ``share`` of it
    crushed (black or white), or the mean brightness of the checked photos ``before`` and
    ``after`` (darkening); the run's checkpoint at ``checkpoint`` is kept."""

    flaw: Flaw
    checkpoint: Path
    photo: Path | None = None
    share: float = 0.0
    before: float = 0.0
    after: float = 0.0

    @property
    def remedies(self) -> tuple[Remedy, ...]:
        """The settings to change, most likely first."""
        if self.flaw is Flaw.DARKENS:
            return (Remedy.LOWER_LEARNING_RATE, Remedy.FEWER_EPOCHS, Remedy.HIGHER_EXPOSURE_TARGET)
        return (Remedy.LOWER_LEARNING_RATE, Remedy.FEWER_EPOCHS)

    def finding(self) -> str:
        """What the check found, e.g. ``on 44.jpg, the model turned 35% of the photo white``,
        in words that name no setting of any front end."""
        if self.flaw is Flaw.DARKENS:
            return (
                "the trained model darkens the photos it was checked on (mean brightness "
                f"{self.before:.2f} → {self.after:.2f})"
            )
        name = self.photo.name if self.photo else "a photo"
        return f"on {name}, the model turned {self.share:.0%} of the photo {self.flaw.value}"


class ModelRefused(TrainingError):
    """A trained model failed the check and was not saved; ``refusal`` says why, for each
    front end to word (the message itself names no setting)."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(
            f"{refusal.finding()}: it was not saved (the run's checkpoint is kept at "
            f"{refusal.checkpoint})"
        )
        self.refusal = refusal


def try_line(remedies: Sequence[Remedy], words: Mapping[Remedy, str]) -> str:
    """``Try a lower --lr or fewer --epochs``: ``remedies`` in a front end's ``words``."""
    named = [words[r] for r in remedies]
    listed = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
    return f"Try {listed}"


def darkest_photos(brightness: Mapping[Path, float], count: int = CHECK_PHOTOS) -> list[Path]:
    """The ``count`` photos of ``brightness`` (photo → mean brightness in [0, 1]) with the
    lowest mean brightness, darkest first (ties by path): the photos a model is checked on."""
    return sorted(brightness, key=lambda path: (brightness[path], path))[:count]


def snapshot_enhancer(net: nets.CurveNet) -> Enhancer:
    """A CPU enhancer on a copy of ``net`` (e.g. mid-training); ``net`` is left untouched."""
    snapshot = copy.deepcopy(net).float().cpu().eval()
    snapshot.to(memory_format=torch.contiguous_format)  # pyright: ignore[reportCallIssue]
    return Enhancer(LoadedModel(snapshot), "cpu")


def enhance_with(net: nets.CurveNet, pixels: np.ndarray) -> np.ndarray:
    """``pixels`` ``(H, W, 3)`` enhanced by a copy of ``net`` (e.g. mid-training), on the CPU,
    at full strength with nothing else: the network's own effect."""
    return enhance_photo(snapshot_enhancer(net), pixels, FIXED_FULL).pixels


def check_trained_model(
    net: nets.CurveNet,
    files: list[Path],
    load: Callable[[Path], Image.Image | None],
    checkpoint_path: Path,
) -> None:
    """Raise :class:`ModelRefused` when ``net``, at full strength, crushes the photos of
    ``files`` (read by ``load``; ``None`` skips one) to black or white, or darkens them: such
    a model is not saved (the run's checkpoint at ``checkpoint_path`` is kept)."""
    enhancer = snapshot_enhancer(net)  # one copy of the network for all the photos
    before, after = [], []
    for path in files:
        image = load(path)
        if image is None:
            continue
        pixels = np.asarray(image.convert("RGB"))
        result = enhance_photo(enhancer, pixels, FIXED_FULL).pixels
        black, white = crushed_shares(pixels, result)
        for share, flaw in ((black, Flaw.CRUSHED_BLACK), (white, Flaw.CRUSHED_WHITE)):
            if share > CRUSHED_SHARE:
                raise ModelRefused(Refusal(flaw, checkpoint_path, photo=path, share=share))
        before.append(float(pixels.mean()) / 255.0)
        after.append(float(result.mean()) / 255.0)
    if before and np.mean(after) < np.mean(before) - DARKENING:
        mean_before, mean_after = float(np.mean(before)), float(np.mean(after))
        raise ModelRefused(
            Refusal(Flaw.DARKENS, checkpoint_path, before=mean_before, after=mean_after)
        )
