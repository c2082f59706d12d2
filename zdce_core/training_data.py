"""Training data: finding the user's photos, holding some out, and cutting training crops.

Tensors are ``(3, H, W)`` float32 in [0, 1]; Pillow images are 8-bit RGB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from zdce_core.bit_depth import eight_bit
from zdce_core.discovery import IgnoreKind, discover
from zdce_core.image_io import ImageReadError, read_image
from zdce_core.training_config import MIN_IMAGES, TrainingError, validation_every


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
        img = img.resize(
            (round(img.width / factor), round(img.height / factor)), Image.Resampling.BOX
        )
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
    patch = img.resize((crop, crop), Image.Resampling.BILINEAR, box=(x0, y0, x0 + side, y0 + side))
    t = to_tensor(patch)
    if flips and bool(torch.randint(0, 2, (1,), generator=gen)):
        t = t.flip(2)
    return t


def center_square(img: Image.Image, crop: int) -> torch.Tensor:
    """The largest centred square, resized to ``crop``²: the fixed validation view."""
    short = min(img.size)
    x0, y0 = (img.width - short) // 2, (img.height - short) // 2
    return to_tensor(
        img.resize((crop, crop), Image.Resampling.BILINEAR, box=(x0, y0, x0 + short, y0 + short))
    )


def split_files(files: Sequence[Path], val_every: int) -> tuple[list[Path], list[Path]]:
    """``(training, validation)``: every ``val_every``-th file of the sorted list is held out."""
    ordered = sorted(files)
    val = ordered[val_every - 1 :: val_every]
    held_out = set(val)
    return [p for p in ordered if p not in held_out], val


@dataclass
class Dataset:
    """Training and validation files found in ``folders`` (any format :func:`read_image` reads).

    Every ``val_every``-th file in sorted order is held out for validation (``None``: the
    rule of :func:`~zdce_core.training_config.validation_every`).
    """

    train_files: list[Path]
    val_files: list[Path]
    skipped: list[tuple[Path, str]]
    folders: list[str] = field(default_factory=list)
    """The folders (or files) the photos were found in, as the user named them."""

    @classmethod
    def from_folders(cls, folders: Sequence[str], val_every: int | None) -> Dataset:
        found, ignored = discover(folders, recursive=True)
        files = sorted(f.path for f in found)
        skipped = [(i.path, i.reason) for i in ignored if i.kind is not IgnoreKind.HIDDEN]
        if len(files) < MIN_IMAGES:
            raise TrainingError(
                f"found {len(files)} image(s) in {', '.join(map(str, folders))}; "
                f"training needs at least {MIN_IMAGES}"
            )
        train, val = split_files(files, val_every or validation_every(len(files)))
        return cls(train, val, skipped, [str(f) for f in folders])

    def require_readable(
        self, load: Callable[[Path], object | None], unreadable: Mapping[Path, str]
    ) -> None:
        """Raise :class:`TrainingError` unless at least one training photo can be read.

        ``load(path)`` reads a photo, or returns ``None`` for one it cannot read after
        recording why in ``unreadable`` (and warning the user once). Training photos are
        tried in order until one is read, so a normal run reads one photo more than it
        would; when none can be read, the validation photos are tried too, so that the
        message counts every unreadable file.
        """
        if any(load(path) is not None for path in self.train_files):
            return
        for path in self.val_files:
            load(path)
        raise TrainingError(self.unreadable_message(unreadable))

    def unreadable_message(self, unreadable: Mapping[Path, str]) -> str:
        """One line for a run with no photo to train on: where, how many of the files could
        not be read, and the first one's reason."""
        files = sorted([*self.train_files, *self.val_files])
        bad = [p for p in files if p in unreadable]
        where = ", ".join(self.folders) or "the training folders"
        if not bad:
            return f"no photo to train on in {where}"
        first = bad[0]
        return (
            f"no photo in {where} can be read: {len(bad)} of {len(files)} files are "
            f"unreadable (first: {_shown(first, self.folders)}: {unreadable[first]})"
        )


def _shown(path: Path, folders: Sequence[str]) -> str:
    """``path`` relative to the folder it was found in, when it is inside one."""
    for folder in folders:
        try:
            inside = path.relative_to(folder)
        except ValueError:
            continue
        return str(inside) if inside.parts else path.name
    return str(path)


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
