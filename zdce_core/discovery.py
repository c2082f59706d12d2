"""Finding image files in the inputs a user names (files and folders)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import Enum
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


class IgnoreKind(Enum):
    """Why a path was not queued; :attr:`Ignored.reason` says it in words."""

    HIDDEN = "hidden"
    NOT_IMAGE = "not an image"
    UNREADABLE = "unreadable"  # missing, a symlink loop or broken symlink, a FIFO, a device
    INSIDE_OUTPUT = "inside the output folder"


@dataclass(frozen=True)
class Ignored:
    """A path that was not queued: its kind, the reason in words, and whether the user
    named it directly (then it counts as a failure) or it was found in a folder."""

    path: Path
    kind: IgnoreKind
    reason: str
    named: bool = False


def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
    """Every entry below ``folder`` that is not a folder (subfolders too when recursive;
    hidden ones skipped), sorted; symlinks to folders are not followed."""
    if not recursive:
        yield from sorted(p for p in folder.iterdir() if not _is_folder(p))
        return
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            yield Path(dirpath) / name


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a symlink loop: reported as a file
        return False


_NOT_A_FILE = {
    stat.S_IFIFO: "a FIFO (named pipe), not a photo file",
    stat.S_IFSOCK: "a socket, not a photo file",
    stat.S_IFCHR: "a device, not a photo file",
    stat.S_IFBLK: "a device, not a photo file",
}


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a photo: a missing path, a symlink loop, a broken
    symlink, a FIFO, socket or device (reading those could block forever); ``None`` for a
    regular file or a symlink to one. Never opens the file."""
    if not os.path.lexists(path):
        return "no such file or folder"
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink that loops back on itself"
        if path.is_symlink():
            return "a broken symlink (its target does not exist)"
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISREG(mode):
        return None
    return _NOT_A_FILE.get(stat.S_IFMT(mode), "not a regular file")


def discover(
    inputs: Iterable[str | os.PathLike[str]], recursive: bool = False
) -> tuple[list[FoundFile], list[Ignored]]:
    """Expand files and folders into image files, in a stable sorted order.

    Returns ``(images, ignored)``: hidden files, files whose extension is not an image format
    we read, paths that do not exist, symlink loops, broken symlinks, FIFOs, sockets and
    devices are ignored with a reason. A file named directly is queued even without a known
    extension (it fails later with a clear reason if it is not an image), under the name the
    user gave (a symlink keeps its own name). Duplicates are dropped.
    """
    found: list[FoundFile] = []
    ignored: list[Ignored] = []
    seen: set[Path] = set()
    for raw in inputs:
        item = Path(raw).expanduser()
        if _is_folder(item):
            candidates = ((p, item.resolve()) for p in _walk(item.resolve(), recursive))
        else:
            candidates = iter([(item.absolute(), None)])
        for path, root in candidates:
            if root is not None and path.name.startswith("."):
                ignored.append(Ignored(path, IgnoreKind.HIDDEN, "hidden file"))
                continue
            problem = file_problem(path)
            if problem is not None:
                ignored.append(
                    Ignored(path if root else item, IgnoreKind.UNREADABLE, problem, root is None)
                )
                continue
            if path in seen:
                continue
            seen.add(path)
            if root is not None and not is_candidate(path):
                ignored.append(Ignored(path, IgnoreKind.NOT_IMAGE, "not an image file"))
            else:
                found.append(FoundFile(path, root))
    return found, ignored
