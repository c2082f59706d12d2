"""A one-line progress bar for the terminal (stderr), redrawn in place."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss``."""
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TextBar:
    """Draws ``[#####     ]  12/64  <text>`` on a terminal; on a pipe (a log file) it prints
    a plain status line at most every ``log_every`` seconds instead."""

    def __init__(
        self, stream: TextIO | None = None, width: int = 28, log_every: float = 60.0
    ) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.log_every = log_every
        self._last_log = time.monotonic()
        self._drawn = False

    def update(self, done: int, total: int, text: str = "") -> None:
        if not self.live:
            now = time.monotonic()
            if now - self._last_log >= self.log_every:
                self._last_log = now
                self.line(f"{done}/{total} {text}")
            return
        filled = self.width * done // max(total, 1)
        bar = "#" * filled + " " * (self.width - filled)
        self.stream.write(f"\r[{bar}] {done}/{total} {text}"[:200].ljust(100))
        self.stream.flush()
        self._drawn = True

    def line(self, text: str) -> None:
        """Print a full line above the bar."""
        if self._drawn:
            self.stream.write("\r" + " " * 100 + "\r")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False
