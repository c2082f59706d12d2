"""The batch runner: enhance many photos, report progress, never harm an original.

``iter_batch`` is a generator of small event dataclasses; it checks a cancel callable between
images and (through the enhancer) between strips of one image. A failure in one file is
reported with the file and the reason, and the batch goes on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments
from zdce_core.atomic import TargetExists, remove_stale_temporaries
from zdce_core.discovery import FoundFile, Ignored, IgnoreKind
from zdce_core.enhancer import Cancelled, Enhancer
from zdce_core.image_io import (
    OUTPUT_FORMATS,
    ImageReadError,
    ImageWriteError,
    Photo,
    read_image,
    write_image,
)
from zdce_core.pipeline import BrokenResult, check_result, enhance_photo

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
}


class PlanError(ValueError):
    """Output settings that cannot work (e.g. they would overwrite the originals)."""


@dataclass(frozen=True)
class OutputOptions:
    """Where and how results are written.

    ``format``: ``"same"`` (as the input; BMP becomes PNG, HEIC JPEG) or a key of
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
    same = _FORMAT_BY_EXTENSION.get(src_ext.lower()) == fmt and src_ext.lower() in (
        ".jpg",
        ".jpeg",
        ".jpe",
        ".png",
        ".tif",
        ".tiff",
        ".webp",
    )
    ext = src_ext if same else OUTPUT_FORMATS[fmt]
    relative_dir = found.relative.parent if opts.mirror else Path()
    return opts.folder / relative_dir / f"{found.path.stem}{opts.suffix}{ext}"


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


def plan(
    files: Sequence[FoundFile], opts: OutputOptions
) -> tuple[list[tuple[FoundFile, Path]], list[Ignored]]:
    """Pair every input with its output path.

    Raises :class:`PlanError` when the output folder is a file or not writable
    (:func:`check_output_folder`), or the suffix is empty and an output would land in its
    input's folder. Inputs inside the output folder (earlier results, when the output folder
    lies within an input folder) are ignored with a reason.
    """
    check_output_folder(opts.folder)
    pairs: list[tuple[FoundFile, Path]] = []
    ignored: list[Ignored] = []
    for found in files:
        if found.root is not None and _is_within(found.path, opts.folder):
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
        pairs.append((found, out))
    return pairs, ignored


@dataclass(frozen=True)
class ItemStarted:
    """Work on input ``index`` (0-based) of ``total`` began."""

    index: int
    total: int
    path: Path


@dataclass(frozen=True)
class ItemFinished:
    """An input is done: ``status`` is ``"done"``, ``"skipped"`` or ``"failed"``.

    ``reason`` says why it was skipped or failed, or notes a compromise on a done item;
    ``megapixels`` and ``seconds`` are 0 for items that were not processed. ``strength``:
    the strength a done item was rendered at (``auto``: chosen by auto exposure).
    """

    index: int
    total: int
    path: Path
    status: str
    output: Path | None = None
    reason: str = ""
    megapixels: float = 0.0
    seconds: float = 0.0
    strength: float | None = None
    auto: bool = False


@dataclass
class BatchSummary:
    """Counts and failures of a finished (or cancelled) batch."""

    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    cancelled: bool = False
    megapixels: float = 0.0
    seconds: float = 0.0
    failures: list[tuple[Path, str]] = field(default_factory=list)
    skips: list[tuple[Path, str]] = field(default_factory=list)
    auto_strengths: list[float] = field(default_factory=list)
    """The strengths auto exposure chose for the done items."""

    @property
    def megapixels_per_second(self) -> float:
        return self.megapixels / self.seconds if self.seconds > 0 else 0.0

    def add(self, item: ItemFinished) -> None:
        if item.status == "done":
            self.done += 1
            self.megapixels += item.megapixels
            if item.auto and item.strength is not None:
                self.auto_strengths.append(item.strength)
        elif item.status == "skipped":
            self.skipped += 1
            self.skips.append((item.path, item.reason))
        else:
            self.failed += 1
            self.failures.append((item.path, item.reason))


@dataclass(frozen=True)
class BatchFinished:
    """The last event of a batch."""

    summary: BatchSummary


BatchEvent = ItemStarted | ItemFinished | BatchFinished


def _load(path: Path) -> Photo | ImageReadError:
    try:
        return read_image(path)
    except ImageReadError as exc:
        return exc


def iter_batch(
    pairs: Sequence[tuple[FoundFile, Path]],
    enhancer: Enhancer,
    opts: OutputOptions,
    adjustments: Adjustments | Callable[[Path], Adjustments] = DEFAULT_ADJUSTMENTS,
    cancel: Callable[[], bool] | None = None,
) -> Iterator[BatchEvent]:
    """Enhance each ``(input, output path)`` pair; yields events, ending with ``BatchFinished``.

    ``adjustments``: one set for all, or a function of the input path (per-image overrides).
    Existing outputs are skipped unless ``opts.overwrite``, also those that appear while the
    batch runs. Stale temporary files of an earlier, killed run are removed from the output
    folders first. The next input is decoded in a
    background thread while the current one renders. No input is ever written to; outputs
    appear only complete (atomic rename).
    """
    should_stop = cancel or (lambda: False)
    adjust_of = adjustments if callable(adjustments) else (lambda _p, a=adjustments: a)
    summary = BatchSummary(total=len(pairs))
    for folder in {out.parent for _, out in pairs}:
        remove_stale_temporaries(folder)  # left by a run that was killed outright
    inputs = {found.path.resolve() for found, _ in pairs}
    start = time.perf_counter()
    todo = [i for i, (_, out) in enumerate(pairs) if opts.overwrite or not out.exists()]
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="zdce-read") as pool:
        loads: dict[int, Future[Photo | ImageReadError]] = {}
        if todo:
            loads[todo[0]] = pool.submit(_load, pairs[todo[0]][0].path)
        for index, (found, out) in enumerate(pairs):
            if should_stop():
                summary.cancelled = True
                break
            yield ItemStarted(index, len(pairs), found.path)
            if index not in loads:
                item = ItemFinished(
                    index, len(pairs), found.path, "skipped", out, "output exists (use overwrite)"
                )
            else:
                following = next((i for i in todo if i > index), None)
                if following is not None:
                    loads[following] = pool.submit(_load, pairs[following][0].path)
                try:
                    item = _process(
                        index,
                        len(pairs),
                        found,
                        out,
                        loads,
                        enhancer,
                        opts,
                        adjust_of(found.path),
                        should_stop,
                        inputs,
                    )
                except Cancelled:
                    summary.cancelled = True
                    break
            summary.add(item)
            yield item
        for pending in loads.values():
            pending.cancel()
    summary.seconds = time.perf_counter() - start
    yield BatchFinished(summary)


def _process(
    index: int,
    total: int,
    found: FoundFile,
    out: Path,
    loads: dict[int, Future[Photo | ImageReadError]],
    enhancer: Enhancer,
    opts: OutputOptions,
    adjustments: Adjustments,
    should_stop: Callable[[], bool],
    inputs: set[Path],
) -> ItemFinished:
    """Read (already in flight), enhance and write one photo; failures become an item."""
    t0 = time.perf_counter()

    def failed(reason: str) -> ItemFinished:
        return ItemFinished(
            index, total, found.path, "failed", None, reason, 0.0, time.perf_counter() - t0
        )

    if out.resolve() in inputs or (out.exists() and os.path.samefile(out, found.path)):
        return failed(f"the output {out} would overwrite an input")
    # Only this frame holds the decoded photo, so its pixels can be freed before encoding.
    loaded = loads.pop(index).result()
    if isinstance(loaded, ImageReadError):
        return failed(str(loaded))
    megapixels = loaded.megapixels
    notes = list(loaded.problems)
    if loaded.reduced_from_16bit:
        notes.append("16-bit colour was read and written as 8-bit")
    try:
        result = enhance_photo(enhancer, loaded.pixels, adjustments, should_stop)
        check_result(loaded.pixels, result.pixels)
        output = loaded.with_pixels(result.pixels)
        del loaded  # the input's pixels are not needed to encode (174 MP: 2.07 -> 1.94 GB)
        out.parent.mkdir(parents=True, exist_ok=True)
        write_image(
            out,
            output,
            output_format(found.path, opts),
            opts.quality,
            opts.keep_metadata,
            replace=opts.overwrite,
        )
    except Cancelled:
        raise
    except TargetExists:
        return ItemFinished(
            index,
            total,
            found.path,
            "skipped",
            out,
            "the output appeared meanwhile (use overwrite)",
        )
    except (ImageWriteError, BrokenResult) as exc:
        return failed(str(exc))
    except PermissionError:
        return failed(f"cannot create the folder {out.parent}: permission denied")
    except MemoryError:
        return failed(f"not enough memory for a {megapixels:.0f}-megapixel image")
    except OSError as exc:  # e.g. a read-only file system, a full disk
        return failed(f"cannot write to {out.parent}: {exc.strerror or exc}")
    except (RuntimeError, ValueError) as exc:
        return failed(f"{type(exc).__name__}: {exc}")
    seconds = time.perf_counter() - t0
    return ItemFinished(
        index,
        total,
        found.path,
        "done",
        out,
        "; ".join(notes),
        megapixels,
        seconds,
        result.strength,
        result.auto,
    )
