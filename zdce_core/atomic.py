"""Atomic file writes: write to a temporary file beside the target, then rename into place.

An interrupted or failed write never leaves a half-written file under the target's name,
and never touches an existing file until the new one is complete. A process killed outright
(``kill -9``, power loss) can leave its hidden temporary file behind;
:func:`remove_stale_temporaries` clears ours (by name pattern and age) on a later run.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

TEMP_SUFFIX = ".part"
STALE_AFTER_S = 3600.0
"""A temporary file of ours untouched this long belongs to no running write."""
_TEMP_NAME = re.compile(r"^\..+\.[A-Za-z0-9_]{8}" + re.escape(TEMP_SUFFIX) + "$")


class TargetExists(FileExistsError):
    """The target appeared while the file was written, and was not to be replaced."""


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success rename it to ``target``.

    The caller writes the whole file to the yielded path. On an exception (including
    ``KeyboardInterrupt``) the temporary file is removed and ``target`` is left as it was.
    The new file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    ``replace=False``: an existing ``target`` (one that appeared meanwhile) is kept and
    :class:`TargetExists` raised (a hard link, which never replaces, then the temporary
    name removed; where hard links are not supported, a check just before renaming).
    """
    target = Path(target)
    fd, tmp_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=TEMP_SUFFIX
    )
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, _default_mode())
        if replace:
            os.replace(tmp, target)
        else:
            _rename_without_replacing(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _rename_without_replacing(tmp: Path, target: Path) -> None:
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise TargetExists(f"{target} appeared meanwhile") from None
    except OSError:  # no hard links on this file system
        if os.path.lexists(target):
            raise TargetExists(f"{target} appeared meanwhile") from None
        os.replace(tmp, target)
        return
    tmp.unlink()


def _temporaries(folder: str | os.PathLike[str]) -> list[os.DirEntry[str]]:
    """The temporary files :func:`atomic_path` left in ``folder`` (hidden, named
    ``.<target>.<8 characters>.part``); none when the folder cannot be listed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        try:
            if _TEMP_NAME.match(entry.name) and entry.is_file(follow_symlinks=False):
                found.append(entry)
        except OSError:
            continue
    return found


def _unlink(entries: Iterable[os.DirEntry[str]]) -> list[Path]:
    removed = []
    for entry in entries:
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove our temporary files in ``folder`` that were last modified over
    ``STALE_AFTER_S`` ago; returns them. Other files, and recent temporaries of a write in
    progress, are kept."""
    now = time.time()

    def stale(entry: os.DirEntry[str]) -> bool:
        try:
            return now - entry.stat().st_mtime > STALE_AFTER_S
        except OSError:
            return False

    return _unlink(e for e in _temporaries(folder) if stale(e))


def remove_temporaries_of(targets: Iterable[Path]) -> list[Path]:
    """Remove the temporary files of writes to ``targets`` (``.<name>.<8>.part`` beside each),
    whatever their age: for writers known to be dead (a cluster job that was interrupted).
    Each folder is listed once. Returns the files removed."""
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.parent, set()).add(target.name)
    removed = []
    for folder, wanted in names.items():
        ours = (e for e in _temporaries(folder) if e.name[1:].rsplit(".", 2)[0] in wanted)
        removed += _unlink(ours)
    return removed
