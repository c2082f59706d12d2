"""Hot folders: which arrivals in a watched folder are photos ready to enhance, and which
were enhanced already.

Nothing here knows how files are watched (:mod:`zdce_core.watch_events` feeds paths in) or
how a photo is enhanced (the front end runs the batch's per-photo step). Three parts:

- :func:`watched_problem`: names never taken (hidden files and folders, temporary names of
  downloads and office programs, files that are not photos, the output folder);
- :class:`Settler`: a path is ready once its size and modification time stayed the same for
  the settle time (a photo still being copied keeps being put off);
- :class:`WatchState`: a small append-only file in the output folder that records each
  input's size, modification time and content digest once it has been handled, so a photo
  is enhanced once per content, across restarts; an input overwritten with new content is
  handled again.

Paths wait as paths (a thousand arrivals are a thousand small entries, never pixels); the
clock and ``stat`` are parameters, so the logic is tested with fake ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

from zdce_core.atomic import atomic_path
from zdce_core.image_io import is_candidate

DEFAULT_SETTLE_S = 2.0
STATE_FILE = ".zdce-watch.jsonl"
"""The record of handled inputs, in the output folder (hidden: never taken as a photo)."""
TEMPORARY_SUFFIXES = (".part", ".partial", ".crdownload", ".download", ".tmp", ".temp", "~")
"""Name endings of files still being written by browsers, sync clients and editors."""
TEMPORARY_PREFIXES = (".", "~$")
"""Hidden files (ours, ``.zdce-tmp-…``, among them) and office programs' lock files."""
_DURATION = re.compile(r"\s*(?P<value>\d+(?:\.\d*)?|\.\d+)\s*(?P<unit>ms|s|m)?\s*", re.I)
_HASH_CHUNK = 1 << 20


def parse_duration(text: str) -> float:
    """Seconds from ``2s``, ``500ms``, ``1.5``, ``1m`` (a bare number is seconds); raises
    ``ValueError`` with one line for anything else."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"a duration such as 2s, 500ms or 1m, not {text!r}")
    scale = {"ms": 0.001, "s": 1.0, "m": 60.0}[(match["unit"] or "s").lower()]
    return float(match["value"]) * scale


def _is_within(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def output_folder_problem(watched: Path, output: Path, recursive: bool) -> str | None:
    """Why ``output`` cannot take the results of watching ``watched`` (both resolved): it is
    the watched folder, or lies inside it while subfolders are watched (results would be
    taken as arrivals); ``None`` when it can."""
    if output == watched:
        return f"the output folder {output} is the watched folder: choose another one"
    if recursive and _is_within(output, watched):
        return (
            f"the output folder {output} is inside the watched folder {watched} and -r watches "
            "its subfolders, so results would be enhanced again: choose a folder outside it"
        )
    return None


class Unwatched(Enum):
    """Why an arrival is not taken."""

    OUTSIDE = "outside the watched folder"
    SUBFOLDER = "in a subfolder (not watched without -r)"
    OUTPUT = "inside the output folder"
    HIDDEN_OR_TEMPORARY = "a hidden or temporary name"
    NOT_IMAGE = "not a photo file"


def watched_problem(
    path: Path, root: Path, recursive: bool, output: Path | None = None
) -> Unwatched | None:
    """Why ``path`` (absolute, under ``root``) is not a photo to take, or ``None`` when it
    is. Every part of its path below ``root`` is checked, so a file in a hidden folder or in
    a download's temporary folder is left alone too. Never touches the disk."""
    if not _is_within(path, root) or path == root:
        return Unwatched.OUTSIDE
    if output is not None and _is_within(path, output):
        return Unwatched.OUTPUT
    parts = path.relative_to(root).parts
    if not recursive and len(parts) > 1:
        return Unwatched.SUBFOLDER
    for name in parts:
        if name.startswith(TEMPORARY_PREFIXES) or name.lower().endswith(TEMPORARY_SUFFIXES):
            return Unwatched.HIDDEN_OR_TEMPORARY
    if not is_candidate(path):
        return Unwatched.NOT_IMAGE
    return None


Stamp = tuple[int, int]
"""A file's size and modification time (ns): it changes while the file is written."""


def file_stamp(path: Path) -> Stamp | None:
    """``path``'s :data:`Stamp`, or ``None`` when it is gone or no regular file (a folder,
    a FIFO: never opened)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns) if stat.S_ISREG(info.st_mode) else None


@dataclass
class _Pending:
    stamp: Stamp
    due: float


class Settler:
    """Paths that arrived, each ready once its :data:`Stamp` stayed the same for
    ``settle_s`` seconds.

    :meth:`note` (an event: created, written, moved in) puts a path's deadline off to
    ``settle_s`` from now; at the deadline :meth:`take_ready` looks at the file again: the
    same stamp makes it ready, another puts it off again, a vanished file is dropped. Files
    are only looked at on events and at their deadlines, never in a loop.
    """

    def __init__(
        self,
        settle_s: float,
        clock: Callable[[], float] = time.monotonic,
        stamp_of: Callable[[Path], Stamp | None] = file_stamp,
    ) -> None:
        self.settle_s = settle_s
        self._clock = clock
        self._stamp_of = stamp_of
        self._pending: dict[Path, _Pending] = {}

    def __len__(self) -> int:
        return len(self._pending)

    def note(self, path: Path) -> None:
        """``path`` arrived or changed: it becomes ready ``settle_s`` after its last change."""
        stamp = self._stamp_of(path)
        if stamp is None:
            self._pending.pop(path, None)
            return
        self._pending[path] = _Pending(stamp, self._clock() + self.settle_s)

    def next_due(self) -> float | None:
        """Seconds until the next deadline (0 when one has passed); ``None`` when nothing
        waits."""
        if not self._pending:
            return None
        return max(0.0, min(p.due for p in self._pending.values()) - self._clock())

    def take_ready(self) -> list[Path]:
        """The paths whose stamp held for the settle time, in arrival order; they leave."""
        now = self._clock()
        ready: list[Path] = []
        for path, pending in list(self._pending.items()):
            if pending.due > now:
                continue
            stamp = self._stamp_of(path)
            if stamp is None:
                del self._pending[path]
            elif stamp != pending.stamp:
                self._pending[path] = _Pending(stamp, now + self.settle_s)
            else:
                del self._pending[path]
                ready.append(path)
        return ready


def content_digest(path: Path) -> str:
    """The SHA-256 of ``path``'s bytes, read in 1 MiB chunks (a RAW file is never held)."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for chunk in iter(lambda: source.read(_HASH_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Handled:
    """What the state file knows of one input: the content handled, and its output (relative
    to the output folder; empty when none was written: a failure, a skip)."""

    size: int
    mtime_ns: int
    sha256: str
    output: str = ""

    @property
    def stamp(self) -> Stamp:
        return (self.size, self.mtime_ns)


class Verdict(Enum):
    """Whether a ready input is to be enhanced."""

    NEW = "new"
    """Never handled."""
    CHANGED = "changed"
    """Handled before with other content (overwritten): enhanced again."""
    DONE = "done"
    """This content was handled already (a restart, a touch, the same bytes copied again)."""


def judge(known: Handled | None, stamp: Stamp, digest: Callable[[], str]) -> tuple[Verdict, str]:
    """The :class:`Verdict` for an input with ``stamp`` that was handled as ``known``, and its
    digest (``digest()`` is only called when the stamp differs from the known one; the
    known digest is returned otherwise)."""
    if known is not None and known.stamp == stamp:
        return Verdict.DONE, known.sha256
    sha = digest()
    if known is None:
        return Verdict.NEW, sha
    return (Verdict.DONE if known.sha256 == sha else Verdict.CHANGED), sha


class WatchState:
    """The handled inputs of a watch, kept in :data:`STATE_FILE` in the output folder.

    One JSON line per handled input is appended (a line torn by a crash is ignored on the
    next start; the latest line of an input wins); the file is rewritten, atomically, when
    it has grown to twice the inputs it describes. Keys are the inputs' paths relative to
    the watched folder, so the record survives moving both folders.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / STATE_FILE
        self._handled: dict[str, Handled] = {}
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        lines = text.splitlines()
        for line in lines:
            entry = _entry(line)
            if entry is not None:
                self._handled[entry[0]] = entry[1]
        if not text.endswith("\n") or len(lines) > 2 * len(self._handled):
            self._compact()  # a torn last line (the next would be appended to it), or grown

    def __len__(self) -> int:
        return len(self._handled)

    def get(self, key: str) -> Handled | None:
        return self._handled.get(key)

    def record(self, key: str, handled: Handled) -> None:
        """Remember ``handled`` for ``key`` in memory and on disk (one appended line)."""
        self._handled[key] = handled
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(_line(key, handled))

    def _compact(self) -> None:
        with atomic_path(self.path) as tmp:
            tmp.write_text("".join(_line(k, h) for k, h in self._handled.items()), "utf-8")


def _entry(line: str) -> tuple[str, Handled] | None:
    """One line's input and record; ``None`` for a line torn by a crash, or not ours."""
    try:
        entry = json.loads(line)
        return str(entry.pop("input")), Handled(**entry)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _line(key: str, handled: Handled) -> str:
    return json.dumps({"input": key, **asdict(handled)}, ensure_ascii=False) + "\n"
