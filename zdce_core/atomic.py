"""Atomic file writes: write to a temporary file beside the target, then rename into place.

An interrupted or failed write never leaves a half-written file under the target's name,
and never touches an existing file until the new one is complete. A process killed outright
(``kill -9``, power loss) can leave its hidden temporary file behind;
:func:`remove_stale_temporaries` clears ours on a later run.

Our temporaries are named ``.zdce-tmp-HOST-PID-RANDOM-NAME.part`` (:func:`temporary_name`):
the fixed prefix tells them from anyone else's files, and the writer's host and process id
tell whether their writer is gone. A file not named so is never removed, whatever its age.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
import socket
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

TEMP_PREFIX = ".zdce-tmp-"
TEMP_SUFFIX = ".part"
STALE_AFTER_S = 24 * 3600.0
"""A temporary of ours whose writer cannot be checked (another host, or a process id that may
have been reused) belongs to no running write once untouched this long."""
NAME_BYTES = 120
"""At most this many bytes (UTF-8) of the target's name go into its temporary's name, so that
the latter stays well within the 255-byte limit of file systems."""
_HOST_CHARS = 32
_TOKEN_CHARS = 8
_TOKEN_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_TEMP_NAME = re.compile(
    re.escape(TEMP_PREFIX)
    + rf"(?P<host>[A-Za-z0-9_]{{1,{_HOST_CHARS}}})-(?P<pid>[1-9][0-9]{{0,9}})"
    + rf"-[a-z0-9]{{{_TOKEN_CHARS}}}-(?P<name>.+)"
    + re.escape(TEMP_SUFFIX),
    re.DOTALL,
)
_OPEN_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_ATTEMPTS = 100


class TargetExists(FileExistsError):
    """The target appeared while the file was written, and was not to be replaced."""


@dataclass(frozen=True)
class Temporary:
    """A temporary file of ours, as its name describes it."""

    path: Path
    host: str
    """The writer's host, as :func:`host_label` gives it."""
    pid: int
    """The writer's process id on that host."""
    name_part: str
    """The target's name, or its start and a digest when long (see :func:`name_part`)."""


def host_label(hostname: str | None = None) -> str:
    """This host's name (or ``hostname``) as it appears in a temporary's name: letters, digits
    and ``_`` only, at most 32 characters (a long name is cut and given a digest)."""
    if hostname is None:
        try:
            hostname = socket.gethostname()
        except OSError:
            hostname = ""
    label = re.sub(r"[^A-Za-z0-9]", "_", hostname) or "unknown"
    if len(label) > _HOST_CHARS:
        digest = hashlib.sha1(hostname.encode("utf-8", "surrogateescape")).hexdigest()[:8]
        label = f"{label[: _HOST_CHARS - len(digest) - 1]}_{digest}"
    return label


def name_part(name: str) -> str:
    """``name`` as it appears in its temporary's name: whole when it has at most
    :data:`NAME_BYTES` bytes, else its start (whole characters) + ``~`` + a digest of it."""
    encoded = os.fsencode(name)
    if len(encoded) <= NAME_BYTES:
        return name
    digest = hashlib.sha1(encoded).hexdigest()[:8]
    budget = NAME_BYTES - len(digest) - 1
    kept: list[str] = []
    for char in name:
        budget -= len(os.fsencode(char))
        if budget < 0:
            break
        kept.append(char)
    return f"{''.join(kept)}~{digest}"


def temporary_name(target_name: str, pid: int | None = None, host: str | None = None) -> str:
    """A fresh name for a temporary of ``target_name``, written by process ``pid`` (this one)
    on ``host`` (this one): ``.zdce-tmp-HOST-PID-RANDOM-NAME.part``."""
    token = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(_TOKEN_CHARS))
    writer = f"{host_label(host)}-{os.getpid() if pid is None else pid}"
    return f"{TEMP_PREFIX}{writer}-{token}-{name_part(target_name)}{TEMP_SUFFIX}"


def parse_temporary(path: str | os.PathLike[str]) -> Temporary | None:
    """What ``path``'s name says of its writer, or ``None`` when it is not one of ours."""
    path = Path(path)
    match = _TEMP_NAME.fullmatch(path.name)
    if match is None:
        return None
    return Temporary(path, match["host"], int(match["pid"]), match["name"])


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _create_temporary(target: Path) -> Path:
    """Create an empty, new temporary file for ``target`` in its folder (never an existing
    one: ``O_EXCL``); returns its path."""
    for _ in range(_ATTEMPTS):
        tmp = target.with_name(temporary_name(target.name))
        try:
            fd = os.open(tmp, _OPEN_FLAGS, 0o600)
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"no free temporary name for {target} after {_ATTEMPTS} attempts")


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], replace: bool = True) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success rename it to ``target``.

    The caller writes the whole file to the yielded path (named by :func:`temporary_name`).
    On an exception (including ``KeyboardInterrupt``) the temporary file is removed and
    ``target`` is left as it was.
    The new file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    ``replace=False``: an existing ``target`` (one that appeared meanwhile) is kept and
    :class:`TargetExists` raised (a hard link, which never replaces, then the temporary
    name removed; where hard links are not supported, a check just before renaming).
    """
    target = Path(target)
    tmp = _create_temporary(target)
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


def _temporaries(folder: str | os.PathLike[str]) -> list[tuple[Temporary, os.DirEntry[str]]]:
    """The temporary files of ours in ``folder`` (regular files named as
    :func:`temporary_name` names them); none when the folder cannot be listed."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    found = []
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        temporary = parse_temporary(entry.path)
        try:
            if temporary is not None and entry.is_file(follow_symlinks=False):
                found.append((temporary, entry))
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


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this host (``True`` when that cannot be told)."""
    if sys.platform == "win32":
        return _windows_pid_alive(pid)  # os.kill(pid, 0) would end the process there
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # PermissionError: it runs, as another user
        return True
    return True


def _windows_pid_alive(pid: int) -> bool:
    """:func:`pid_alive` on Windows: a process that can be opened and has no exit code."""
    if sys.platform != "win32":
        return True
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() != 87  # ERROR_INVALID_PARAMETER: no such process
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


def _writer_gone(temporary: Temporary, entry: os.DirEntry[str], here: str, now: float) -> bool:
    """Whether no running write can own ``temporary``: its writer ran on this host and has
    ended, or it was untouched for :data:`STALE_AFTER_S` (a writer on another host cannot be
    checked, and a process id of this host may have been reused)."""
    if temporary.host == here and not pid_alive(temporary.pid):
        return True
    try:
        return now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S
    except OSError:
        return False


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files of ours in ``folder`` whose writer is gone: a process of
    this host that has ended (at once, whatever the age), or any writer once the file was
    untouched for :data:`STALE_AFTER_S`. Returns them. Any other file, and the temporaries
    of a write in progress (this process's included), are kept."""
    here, now = host_label(), time.time()
    return _unlink(e for t, e in _temporaries(folder) if _writer_gone(t, e, here, now))


def remove_temporaries_of(targets: Iterable[Path]) -> list[Path]:
    """Remove our temporary files of writes to ``targets`` (beside each), whoever wrote them
    and whatever their age: for writers known to be dead (a cluster job that was
    interrupted). Each folder is listed once. Returns the files removed."""
    names: dict[Path, set[str]] = {}
    for target in targets:
        names.setdefault(target.parent, set()).add(name_part(target.name))
    removed = []
    for folder, wanted in names.items():
        removed += _unlink(e for t, e in _temporaries(folder) if t.name_part in wanted)
    return removed
