"""Finding image files in the inputs a user names (files and folders)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from zdce_core.image_io import is_candidate


@dataclass(frozen=True)
class FoundFile:
    """An input file and the folder it was found under (``None`` when named directly).

    ``relative`` is its path below that folder, used to mirror subfolders in the output.
    """

    path: Path
    root: Path | None

    @property
    def relative(self) -> Path:
        return self.path.relative_to(self.root) if self.root else Path(self.path.name)


@dataclass(frozen=True)
class Ignored:
    """A path that was not queued, and why (hidden, not an image, missing)."""

    path: Path
    reason: str


def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
    if not recursive:
        yield from sorted(p for p in folder.iterdir() if p.is_file())
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            yield Path(dirpath) / name


def discover(
    inputs: Iterable[str | os.PathLike[str]], recursive: bool = False
) -> tuple[list[FoundFile], list[Ignored]]:
    """Expand files and folders into image files, in a stable sorted order.

    Returns ``(images, ignored)``: hidden files, files whose extension is not an image format
    we read and paths that do not exist are ignored with a reason. A file named directly is
    queued even without a known extension (it fails later with a clear reason if it is not an
    image). Duplicates are dropped.
    """
    found: list[FoundFile] = []
    ignored: list[Ignored] = []
    seen: set[Path] = set()
    for raw in inputs:
        item = Path(raw).expanduser()
        if item.is_dir():
            candidates = ((p, item.resolve()) for p in _walk(item.resolve(), recursive))
        elif item.is_file():
            candidates = iter([(item.resolve(), None)])
        else:
            ignored.append(Ignored(item, "no such file or folder"))
            continue
        for path, root in candidates:
            if path in seen:
                continue
            seen.add(path)
            if root is not None and path.name.startswith("."):
                ignored.append(Ignored(path, "hidden file"))
            elif root is not None and not is_candidate(path):
                ignored.append(Ignored(path, "not an image file"))
            else:
                found.append(FoundFile(path, root))
    return found, ignored
