"""The check before a trained model is saved: tried on a few photos, a model that crushes them
to black or white or darkens them is refused; and the copy of a network used to try it."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core import nets
from zdce_core.adjustments import FIXED_FULL
from zdce_core.enhancer import Enhancer
from zdce_core.pipeline import BrokenResult, check_result, enhance_photo
from zdce_core.training_config import TrainingError
from zdce_core.weights import LoadedModel

CHECK_PHOTOS = 16
"""Photos a trained model is tried on before it is saved."""
DARKENING = 0.02
"""A trained model that lowers their mean brightness by more than this is not saved."""


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
    """Raise :class:`TrainingError` when ``net``, at full strength, crushes the photos of
    ``files`` (read by ``load``; ``None`` skips one) to black or white, or darkens them: such
    a model is not saved (the message says the run's checkpoint at ``checkpoint_path`` is
    kept)."""
    kept = f"it was not saved (the run's checkpoint is kept at {checkpoint_path})"
    enhancer = snapshot_enhancer(net)  # one copy of the network for all the photos
    before, after = [], []
    for path in files:
        image = load(path)
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
