"""Finding image files in the inputs a user names (files and folders)."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable, Iterator
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
    UNREADABLE_FOLDER = "unreadable folder"  # could not be listed: permission, path too long…
    INSIDE_OUTPUT = "inside the output folder"


@dataclass(frozen=True)
class Ignored:
    """A path that was not queued: its kind, the reason in words, and whether it counts as
    a failure of the run (``named``).

    ``named`` is true for a path the user named directly, and for anything the user asked
    for that the system refused to show us: a folder (named, or found under one with
    ``recursive``) that could not be listed, or a file in a folder whose type could not be
    read (permission denied, path too long, an I/O error) — photos may be missing from the
    run, so it must not end as a success. Things that are plainly not photos (hidden files,
    other formats, FIFOs, broken symlinks) found in a folder are ``named=False``.
    """

    path: Path
    kind: IgnoreKind
    reason: str
    named: bool = False


def os_reason(exc: OSError) -> str:
    """An OS error in a few plain words: "permission denied", "path too long", or the
    system's own message (lower-case, without the ``[Errno N]`` prefix)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENAMETOOLONG:
        return "path too long"
    message = exc.strerror or str(exc) or type(exc).__name__
    return message[:1].lower() + message[1:]


FolderError = Callable[[OSError], None]
"""Called with the error of a folder that cannot be listed; the walk goes on without it."""


def _walk(folder: Path, recursive: bool, on_error: FolderError) -> Iterator[Path]:
    """Every entry below ``folder`` that is not a folder (subfolders too when recursive;
    hidden ones skipped), sorted; symlinks to folders are not followed. A folder that
    cannot be listed (``folder`` itself or a subfolder) goes to ``on_error`` and is left
    out; the walk never raises for it."""
    if not recursive:
        try:
            names = os.listdir(folder)
        except OSError as exc:
            on_error(exc)
            return
        yield from sorted(p for p in (folder / n for n in names) if not _is_folder(p))
        return
    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error):
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


def _file_problem(path: Path) -> tuple[str, bool] | None:
    """:func:`file_problem`'s reason, and whether it is an error the system gave rather
    than a path that is plainly not a photo file (see :attr:`Ignored.named`)."""
    try:
        os.lstat(path)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "no such file or folder", False
        return f"cannot be read ({os_reason(exc)})", True
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symlink that loops back on itself", False
        if exc.errno in (errno.ENOENT, errno.ENOTDIR) and path.is_symlink():
            return "a broken symlink (its target does not exist)", False
        return f"cannot be read ({os_reason(exc)})", True
    if stat.S_ISREG(mode):
        return None
    return _NOT_A_FILE.get(stat.S_IFMT(mode), "not a regular file"), False


def file_problem(path: Path) -> str | None:
    """Why ``path`` cannot be read as a photo: a missing path, a symlink loop, a broken
    symlink, a FIFO, socket or device (reading those could block forever), or the system's
    refusal ("cannot be read (permission denied)"); ``None`` for a regular file or a symlink
    to one. Never opens the file."""
    problem = _file_problem(path)
    return problem[0] if problem else None


def discover(
    inputs: Iterable[str | os.PathLike[str]], recursive: bool = False
) -> tuple[list[FoundFile], list[Ignored]]:
    """Expand files and folders into image files, in a stable sorted order.

    Returns ``(images, ignored)``: hidden files, files whose extension is not an image format
    we read, paths that do not exist, symlink loops, broken symlinks, FIFOs, sockets and
    devices are ignored with a reason. A folder that cannot be listed (named, or a subfolder
    met with ``recursive``: permission denied, a path longer than the system allows) is
    ignored as :attr:`IgnoreKind.UNREADABLE_FOLDER` with ``named=True``, so it fails the
    run; the rest of the search goes on and nothing raises. A file named directly is queued
    even without a known extension (it fails later with a clear reason if it is not an
    image), under the name the user gave (a symlink keeps its own name). Duplicates are
    dropped.
    """
    found: list[FoundFile] = []
    ignored: list[Ignored] = []
    seen: set[Path] = set()
    unlisted: set[Path] = set()
    for raw in inputs:
        item = Path(raw).expanduser()
        if _is_folder(item):
            folder = item.resolve()

            def folder_error(exc: OSError, folder: Path = folder) -> None:
                path = Path(os.fsdecode(exc.filename)) if exc.filename else folder
                if path not in unlisted:
                    unlisted.add(path)
                    reason = os_reason(exc)
                    ignored.append(Ignored(path, IgnoreKind.UNREADABLE_FOLDER, reason, True))

            candidates = ((p, folder) for p in _walk(folder, recursive, folder_error))
        else:
            candidates = iter([(item.absolute(), None)])
        for path, root in candidates:
            if root is not None and path.name.startswith("."):
                ignored.append(Ignored(path, IgnoreKind.HIDDEN, "hidden file"))
                continue
            problem = _file_problem(path)
            if problem is not None:
                reason, refused = problem
                shown, named = (path, refused) if root else (item, True)
                ignored.append(Ignored(shown, IgnoreKind.UNREADABLE, reason, named))
                continue
            if path in seen:
                continue
            seen.add(path)
            if root is not None and not is_candidate(path):
                ignored.append(Ignored(path, IgnoreKind.NOT_IMAGE, "not an image file"))
            else:
                found.append(FoundFile(path, root))
    return found, ignored
