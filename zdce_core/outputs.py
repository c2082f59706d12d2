"""Where results go: output options, output names, and pairing inputs with outputs.

Nothing here reads or writes a photo; :func:`plan` checks the output folder once, before
any photo is enhanced.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zdce_core.discovery import FoundFile, Ignored, IgnoreKind
from zdce_core.errors import UserFacingError
from zdce_core.image_write import OUTPUT_FORMATS
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


@dataclass(frozen=True)
class OutputOptions:
    """Where and how results are written.

    ``format``: ``"same"`` (as the input; BMP becomes PNG, HEIC JPEG, camera RAW 16-bit
    TIFF) or a key of
    ``OUTPUT_FORMATS``. ``quality``: 1–100 for JPEG and WebP. ``mirror``: recreate the
    subfolders found below an input folder.
    """

    folder: Path
    suffix: str = DEFAULT_SUFFIX
    format: str = "same"
    quality: int = 95
    keep_metadata: bool = True
    overwrite: bool = False
    mirror: bool = True

    def __post_init__(self) -> None:
        if self.format != "same" and self.format not in OUTPUT_FORMATS:
            raise PlanError(f"unknown output format {self.format!r}")
        if not 1 <= self.quality <= 100:
            raise PlanError(f"quality must be between 1 and 100, got {self.quality}")
        if any(c in self.suffix for c in "/\\\0"):
            raise PlanError(f"the suffix {self.suffix!r} may not contain path separators")


_KEPT_EXTENSIONS = (".jpg", ".jpeg", ".jpe", ".png", ".tif", ".tiff", ".webp")
"""Input extensions an output of the same format keeps (BMP, HEIC and RAW change format)."""


def output_format(source: Path, opts: OutputOptions) -> str:
    """The output format name for ``source`` under ``opts``."""
    if opts.format != "same":
        return opts.format
    return _FORMAT_BY_EXTENSION.get(source.suffix.lower(), "png")


def output_path(found: FoundFile, opts: OutputOptions) -> Path:
    """``<folder>/[<subfolders>/]<stem><suffix>.<ext>``; a same-format output keeps the
    input's extension spelling (``.JPG`` stays ``.JPG``)."""
    fmt = output_format(found.path, opts)
    src_ext = found.path.suffix
    ext = src_ext if keeps_format(found.path, opts) else OUTPUT_FORMATS[fmt]
    relative_dir = found.relative.parent if opts.mirror else Path()
    return opts.folder / relative_dir / f"{found.path.stem}{opts.suffix}{ext}"


def keeps_format(source: Path, opts: OutputOptions) -> bool:
    """Whether ``source``'s output is written in the input's own file format (a JPEG as
    JPEG, a PNG as PNG…; never a BMP, HEIC or camera RAW file, whose format changes)."""
    ext = source.suffix.lower()
    return ext in _KEPT_EXTENSIONS and _FORMAT_BY_EXTENSION[ext] == output_format(source, opts)


def can_copy_unchanged(source: Path, opts: OutputOptions) -> bool:
    """Whether a photo left unchanged (strength 0) may be written as a byte-for-byte copy of
    ``source``: its output keeps the input's format and the metadata is kept, so a copy is
    what re-encoding would give, without the loss and size change of encoding again."""
    return opts.keep_metadata and keeps_format(source, opts)


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


def _is_earlier_result(found: FoundFile, out: Path, suffix: str) -> bool:
    """Whether ``found`` looks like an output of an earlier run written beside its original:
    its output lands in its own folder and its name already ends in the suffix."""
    return (
        bool(suffix)
        and found.path.stem.endswith(suffix)
        and out.parent.resolve() == found.path.parent.resolve()
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
        beside = found.root is not None and found.root.resolve() == folder
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
        if not opts.suffix and out.parent.resolve() == found.path.parent.resolve():
            raise PlanError(
                "an empty suffix is only allowed when the output folder differs from the "
                f"input's ({found.path.parent})"
            )
        if found.root is not None and _is_earlier_result(found, out, opts.suffix):
            reason = f"an earlier result (its name ends in the suffix {opts.suffix})"
            ignored.append(Ignored(found.path, IgnoreKind.INSIDE_OUTPUT, reason))
            continue
        pairs.append((found, out))
    return pairs, ignored
