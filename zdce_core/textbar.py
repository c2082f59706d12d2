"""A one-line progress bar for the terminal (stderr), redrawn in place."""

from __future__ import annotations

import sys
from typing import TextIO


def format_duration(seconds: float) -> str:
    """``h:mm:ss`` or ``m:ss``."""
    seconds = max(0, round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class TextBar:
    """Draws ``[#####     ]  12/64  <text>`` on a terminal; on a pipe, prints nothing until
    :meth:`line` (so logs stay readable)."""

    def __init__(self, stream: TextIO | None = None, width: int = 28) -> None:
        self.stream = stream or sys.stderr
        self.width = width
        self.live = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._drawn = False

    def update(self, done: int, total: int, text: str = "") -> None:
        if not self.live:
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
