"""A running hot folder: watchdog's observer feeds arrivals (paths only) into a
:class:`~zdce_core.watch.Settler`; each settled photo is judged against the
:class:`~zdce_core.watch.WatchState` and, when new or changed, handed to the batch's
per-photo step (read, enhance, check, write atomically; refusals as in the batch).

File-system events come from the platform (inotify, FSEvents, ReadDirectoryChangesW) through
watchdog's ``Observer``; ``poll`` uses its ``PollingObserver`` (network folders, where no
events arrive), which is also the fallback when the platform refuses a watch. The waiting
thread sleeps until an event or the next settle deadline: an idle watch uses no CPU.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from zdce_core.atomic import remove_stale_temporaries
from zdce_core.batch_events import FailKind, ItemFinished, ItemStatus
from zdce_core.discovery import FoundFile
from zdce_core.outputs import OutputOptions, output_path
from zdce_core.watch import (
    Handled,
    Settler,
    Verdict,
    WatchState,
    content_digest,
    file_stamp,
    judge,
    watched_problem,
)

POLL_INTERVAL_S = 1.0
_FILE_EVENTS = (EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_MOVED, EVENT_TYPE_CLOSED)
_KEPT_FAILURES = (FailKind.UNREADABLE, FailKind.BROKEN_RESULT)
"""Failures that stay until the content changes (a corrupt file is not retried on every
restart); others (memory, a full disk) are tried again after a restart."""

Process = Callable[[FoundFile, Path, OutputOptions], ItemFinished]
"""The per-photo step: input, output path, options → the item (the batch's ``process_one``)."""


class _Forward(FileSystemEventHandler):
    """Puts the path of each created, written, closed or moved-in file into ``put``; a
    folder created or moved in (watched recursively) has its files put in too, since a
    moved folder brings no events for what it holds. Deletions are ignored."""

    def __init__(self, put: Callable[[Path], None], recursive: bool) -> None:
        self._put = put
        self._recursive = recursive

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in _FILE_EVENTS:
            return
        moved = event.event_type == EVENT_TYPE_MOVED
        path = Path(os.fsdecode(event.dest_path if moved else event.src_path))
        if not event.is_directory:
            self._put(path)
        elif self._recursive and event.event_type in (EVENT_TYPE_CREATED, EVENT_TYPE_MOVED):
            for folder, _dirs, names in os.walk(path):
                for name in names:
                    self._put(Path(folder) / name)


class HotFolder:
    """Watch ``root`` (subfolders too when ``recursive``) and write results under
    ``opts.folder`` (which the caller checked lies outside what is watched).

    :meth:`start` begins watching; :meth:`wait` blocks until photos are ready;
    :meth:`handle` enhances one of them at most once per content; :meth:`stop` ends the
    watch. Only :meth:`arrived` may be called from other threads.
    """

    def __init__(
        self,
        root: Path,
        opts: OutputOptions,
        recursive: bool,
        settle_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.root = root.resolve()
        self.opts = opts
        self.recursive = recursive
        self.settler = Settler(settle_s, clock)
        opts.folder.mkdir(parents=True, exist_ok=True)
        self.state = WatchState(opts.folder)
        self._output = opts.folder.resolve()
        self._arrivals: queue.SimpleQueue[Path] = queue.SimpleQueue()
        self._observer: BaseObserver | None = None
        self._cleaned: set[Path] = set()

    def start(self, poll: bool = False) -> str:
        """Start watching; returns how ("file-system events" or "polling every 1 s"). When
        the platform refuses events (e.g. the inotify watch limit is reached), polling is
        used and the returned text says why."""
        handler = _Forward(self.arrived, self.recursive)
        how = f"polling every {POLL_INTERVAL_S:g} s"
        if not poll:
            try:
                self._observer = self._started(Observer(), handler)
                return "file-system events"
            except OSError as exc:
                how += f" (file-system events refused: {exc.strerror or exc})"
        self._observer = self._started(PollingObserver(timeout=POLL_INTERVAL_S), handler)
        return how

    def _started(self, observer: BaseObserver, handler: _Forward) -> BaseObserver:
        observer.schedule(handler, str(self.root), recursive=self.recursive)
        observer.daemon = True
        observer.start()
        return observer

    def stop(self) -> None:
        """Stop watching (events still queued are dropped: they are found again by
        ``--process-existing`` or their next change)."""
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
            self._observer = None

    def add_existing(self) -> None:
        """Take the photos already in the folder as arrivals (each still settles)."""
        for folder, dirs, names in os.walk(self.root):
            dirs[:] = sorted(d for d in dirs if self.recursive and not d.startswith("."))
            for name in sorted(names):
                self.arrived(Path(folder) / name)

    def arrived(self, path: Path) -> None:
        """A path was created, written or moved in (any thread)."""
        self._arrivals.put(path)

    def wait(self, timeout: float | None = None) -> list[Path]:
        """Block until photos are ready (or ``timeout`` seconds passed: then maybe none);
        returns them. Sleeps between events and settle deadlines; a signal handler that
        raises interrupts the wait."""
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            ready = self.settler.take_ready()
            if ready:
                return ready
            due = self.settler.next_due()
            if end is not None:
                left = max(0.0, end - time.monotonic())
                due = left if due is None else min(due, left)
            try:
                self._admit(self._arrivals.get(timeout=due))
                while True:
                    self._admit(self._arrivals.get_nowait())
            except queue.Empty:
                pass
            if end is not None and time.monotonic() >= end:
                return self.settler.take_ready()

    def _admit(self, path: Path) -> None:
        if watched_problem(path, self.root, self.recursive, self._output) is None:
            self.settler.note(path)

    def handle(self, path: Path, process: Process) -> tuple[Verdict, ItemFinished | None]:
        """Enhance the settled photo ``path`` unless this content was handled already;
        returns the verdict and the item (``None`` when nothing was done: handled before,
        or gone). An output this watch wrote for an earlier content of the same input is
        replaced; any other existing output is left alone (skipped, as the batch does)."""
        found = FoundFile(path, self.root)
        stamp = file_stamp(path)
        if stamp is None:
            return Verdict.DONE, None
        key = found.relative.as_posix()
        known = self.state.get(key)
        try:
            verdict, sha = judge(known, stamp, lambda: content_digest(path))
        except OSError:  # gone (or unreadable) since it settled: the batch step says which
            verdict, sha = (Verdict.NEW if known is None else Verdict.CHANGED), ""
        if verdict is Verdict.DONE:
            if known is not None and known.stamp != stamp:  # touched, or the same bytes again
                self.state.record(key, replace(known, size=stamp[0], mtime_ns=stamp[1]))
            return verdict, None
        out = output_path(found, self.opts)
        relative = out.relative_to(self.opts.folder).as_posix()
        ours = known is not None and known.output == relative
        if out.parent not in self._cleaned:
            self._cleaned.add(out.parent)
            if out.parent.is_dir():
                remove_stale_temporaries(out.parent)  # left by a watch killed outright
        item = process(found, out, replace(self.opts, overwrite=self.opts.overwrite or ours))
        done = item.status is ItemStatus.DONE
        if sha and (done or item.status is ItemStatus.SKIPPED or item.failure in _KEPT_FAILURES):
            self.state.record(key, Handled(*stamp, sha, relative if done else ""))
        return verdict, item
