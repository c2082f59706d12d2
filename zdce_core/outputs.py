"""Where results go: output options, output names, and pairing inputs with outputs.

Nothing here reads or writes a photo; :func:`plan` checks the output folder once, before
any photo is enhanced.
"""

from __future__ import annotations

import datetime
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path

from zdce_core.atomic import atomic_path
from zdce_core.discovery import FoundFile, Ignored, IgnoreKind
from zdce_core.errors import UserFacingError
from zdce_core.image_io import open_regular
from zdce_core.image_write import OUTPUT_FORMATS
from zdce_core.output_names import (
    DEFAULT_NAME_TEMPLATE,
    NameFields,
    is_rendered_name,
    render_stem,
    template_problem,
)
from zdce_core.raw_io import RAW_EXTENSIONS

DEFAULT_SUFFIX = "_enhanced"

_FORMAT_BY_EXTENSION = {
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".heic": "jpeg",
    ".heif": "jpeg",
    ".png": "png",
    ".bmp": "png",
    ".tif": "tiff",
    ".tiff": "tiff",
    ".webp": "webp",
    **dict.fromkeys(RAW_EXTENSIONS, "tiff"),  # a RAW file's "same" is 16-bit TIFF
}


class PlanError(UserFacingError, ValueError):
    """Output settings that cannot work (e.g. they would overwrite the originals)."""


class Unchanged(Enum):
    """What becomes of a photo that needs no change (strength 0, e.g. chosen by auto
    exposure for a bright photo)."""

    WRITE = "write"
    """Written like any other (encoded again, resized to the long edge)."""
    COPY = "copy"
    """A byte-for-byte copy of the original where the output keeps its format and metadata
    and needs no resizing; otherwise written."""
    SKIP = "skip"
    """No output."""


class FolderRule(Enum):
    """Where the outputs go."""

    SIBLING = "sibling"
    """A folder ``<folder>-enhanced`` beside the folder the photos came from."""
    BESIDE = "beside"
    """Beside each original, in its own folder (the name template tells them apart)."""
    CHOSEN = "folder"
    """A chosen folder (subfolders mirrored unless flat)."""


def _today() -> str:
    return datetime.date.today().isoformat()


@dataclass(frozen=True)
class OutputOptions:
    """Where and how results are written: the one definition the CLI, the app and presets
    share.

    ``format``: ``"same"`` (as the input; BMP becomes PNG, HEIC JPEG, camera RAW 16-bit
    TIFF) or a key of
    ``OUTPUT_FORMATS``. ``quality``: 1–100 for JPEG and WebP. ``mirror``: recreate the
    subfolders found below an input folder. ``beside``: every output in its original's own
    folder (``folder`` is then the folder the originals were found in).
    ``name_template``: see :mod:`zdce_core.output_names`; ``model``, ``strength`` and
    ``date`` are the values of its fields. ``long_edge``: outputs longer than this many
    pixels are scaled down to it (never up). ``unchanged``: what becomes of photos that need
    no change.
    """

    folder: Path
    suffix: str = DEFAULT_SUFFIX
    format: str = "same"
    quality: int = 95
    keep_metadata: bool = True
    overwrite: bool = False
    mirror: bool = True
    beside: bool = False
    name_template: str = DEFAULT_NAME_TEMPLATE
    long_edge: int | None = None
    unchanged: Unchanged = Unchanged.COPY
    model: str = ""
    strength: str = "auto"
    date: str = field(default_factory=_today)

    def __post_init__(self) -> None:
        if self.format != "same" and self.format not in OUTPUT_FORMATS:
            raise PlanError(f"unknown output format {self.format!r}")
        if not 1 <= self.quality <= 100:
            raise PlanError(f"quality must be between 1 and 100, got {self.quality}")
        if any(c in self.suffix for c in "/\\\0"):
            raise PlanError(f"the suffix {self.suffix!r} may not contain path separators")
        problem = template_problem(self.name_template)
        if problem:
            raise PlanError(problem)
        if self.long_edge is not None and self.long_edge < 1:
            raise PlanError(f"the long edge must be at least 1 pixel, got {self.long_edge}")

    @property
    def name_fields(self) -> NameFields:
        return NameFields(self.suffix, self.model, self.strength, self.date)


def options_for(found: FoundFile, base: OutputOptions, rule: FolderRule) -> OutputOptions:
    """``base`` for ``found`` under ``rule``: its folder the chosen one (``base.folder``),
    ``<folder>-enhanced``, or, beside the originals, the folder ``found`` came from."""
    if rule is FolderRule.BESIDE:
        return replace(base, folder=found.root or found.path.parent, beside=True)
    if rule is FolderRule.SIBLING:
        return replace(base, folder=sibling_output_folder(found))
    return base


_KEPT_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp")
"""Input extensions an output of the same format keeps (BMP, HEIC and RAW change format)."""


def output_format(source: Path, opts: OutputOptions) -> str:
    """The output format name for ``source`` under ``opts``."""
    if opts.format != "same":
        return opts.format
    return _FORMAT_BY_EXTENSION.get(source.suffix.lower(), "png")


def output_path(found: FoundFile, opts: OutputOptions, name: str | None = None) -> Path:
    """``<folder>/[<subfolders>/]<template>.<ext>`` (``<stem><suffix>.<ext>`` by default), or
    beside the original; a same-format output keeps the input's extension spelling (``.JPG``
    stays ``.JPG``). ``name``: what ``{name}`` stands for (default: the input's stem)."""
    fmt = output_format(found.path, opts)
    src_ext = found.path.suffix
    ext = src_ext if keeps_format(found.path, opts) else OUTPUT_FORMATS[fmt]
    stem = render_stem(opts.name_template, name or found.path.stem, opts.name_fields)
    if opts.beside:
        return found.path.parent / f"{stem}{ext}"
    relative_dir = found.relative.parent if opts.mirror else Path()
    return opts.folder / relative_dir / f"{stem}{ext}"


def keeps_format(source: Path, opts: OutputOptions) -> bool:
    """Whether ``source``'s output is written in the input's own file format (a JPEG as
    JPEG, a PNG as PNG…; never a BMP, HEIC or camera RAW file, whose format changes)."""
    ext = source.suffix.lower()
    return ext in _KEPT_EXTENSIONS and _FORMAT_BY_EXTENSION[ext] == output_format(source, opts)


def can_copy_unchanged(source: Path, opts: OutputOptions) -> bool:
    """Whether a photo left unchanged (strength 0) may be written as a byte-for-byte copy of
    ``source``: its output keeps the input's format and the metadata is kept, so a copy is
    what re-encoding would give, without the loss and size change of encoding again."""
    return opts.unchanged is Unchanged.COPY and opts.keep_metadata and keeps_format(source, opts)


def sibling_output_folder(found: FoundFile) -> Path:
    """The default output folder: ``<folder>-enhanced`` beside the folder the input came from
    (its queued root folder, or its own folder when the file was named directly)."""
    source = found.root or found.path.parent
    return source.parent / f"{source.name}-enhanced"


def _is_within(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def check_output_folder(folder: Path) -> None:
    """Raise :class:`PlanError` when ``folder`` is a file, or it (or, when it does not exist
    yet, the nearest folder above it) cannot be written: found before any photo is
    enhanced, not once per photo."""
    if folder.exists() and not folder.is_dir():
        raise PlanError(f"the output folder {folder} is a file")
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        raise PlanError(f"cannot create the output folder {folder}: {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        if existing == folder:
            raise PlanError(f"the output folder {folder} is not writable")
        raise PlanError(f"cannot create the output folder {folder}: {existing} is not writable")


def _is_earlier_result(found: FoundFile, out: Path, opts: OutputOptions) -> bool:
    """Whether ``found`` looks like an output of an earlier run written beside its original:
    its output lands in its own folder and its name already reads as the name template
    makes them (by default: it ends in the suffix)."""
    return out.parent.resolve() == found.path.parent.resolve() and is_rendered_name(
        opts.name_template, found.path.stem, opts.name_fields
    )


def plan(
    files: Sequence[FoundFile], opts: OutputOptions
) -> tuple[list[tuple[FoundFile, Path]], list[Ignored]]:
    """Pair every input with its output path.

    Raises :class:`PlanError` when the output folder is a file or not writable
    (:func:`check_output_folder`), or the suffix is empty and an output would land in its
    input's folder. Ignored with a reason (kind ``INSIDE_OUTPUT``), for inputs found in a
    folder: those inside an output folder that lies within their input folder (earlier
    results), and, when outputs are written beside the originals (the output folder is the
    input folder), those whose name already ends in the suffix (earlier results of this
    kind of run, never enhanced again). Two inputs may still share an output here:
    :func:`zdce_core.batch_job.plan_job` gives them distinct names and checks that no
    output replaces an input.
    """
    check_output_folder(opts.folder)
    folder = opts.folder.resolve()
    pairs: list[tuple[FoundFile, Path]] = []
    ignored: list[Ignored] = []
    for found in files:
        beside = opts.beside or (found.root is not None and found.root.resolve() == folder)
        if (
            found.root is not None
            and not beside
            and _is_within(opts.folder, found.root)
            and _is_within(found.path, opts.folder)
        ):
            ignored.append(
                Ignored(found.path, IgnoreKind.INSIDE_OUTPUT, "inside the output folder")
            )
            continue
        out = output_path(found, opts)
        if out.stem == found.path.stem and out.parent.resolve() == found.path.parent.resolve():
            raise PlanError(
                "an empty suffix (or a name template that adds nothing to {name}) is only "
                f"allowed when the output folder differs from the input's ({found.path.parent})"
            )
        if found.root is not None and _is_earlier_result(found, out, opts):
            reason = (
                f"an earlier result (its name ends in the suffix {opts.suffix})"
                if opts.name_template == DEFAULT_NAME_TEMPLATE
                else f"an earlier result (its name reads as {opts.name_template} makes them)"
            )
            ignored.append(Ignored(found.path, IgnoreKind.INSIDE_OUTPUT, reason))
            continue
        pairs.append((found, out))
    return pairs, ignored


def copy_unchanged(source: Path, out: Path, replace: bool) -> None:
    """Write ``out`` as a byte-for-byte copy of ``source``, atomically (complete or not at
    all); ``source`` is only read, and refused when it is no longer a regular file.

    Raises :class:`~zdce_core.image_io.ImageReadError` (the source),
    :class:`~zdce_core.atomic.TargetExists` (``out`` appeared and ``replace`` is false) or
    ``OSError`` (writing).
    """
    with (
        open_regular(source) as src,
        atomic_path(out, replace=replace) as tmp,
        open(tmp, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 20)
