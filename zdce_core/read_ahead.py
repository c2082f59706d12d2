"""Photos decoded ahead of the rendering: the batch reads the next photo while it renders
one, and the command line starts decoding the first photo while torch is still being
imported (most of a second), so the first result comes sooner.

A decode never raises :class:`~zdce_core.image_io.ImageReadError` from here: the error is
its result, and the batch turns it into a failed item for that file.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from pathlib import Path

from zdce_core.image_io import ImageReadError, Photo, read_image
from zdce_core.raw_io import WhiteBalance

Loaded = Photo | ImageReadError


def load(path: Path, white_balance: WhiteBalance) -> Loaded:
    """``path`` decoded (camera RAW files developed with ``white_balance``), or the error
    that says why it cannot be."""
    try:
        return read_image(path, white_balance=white_balance)
    except ImageReadError as exc:
        return exc


class EarlyRead:
    """The decode of ``path`` started before the batch (:func:`start_reading`); the batch
    takes it (:meth:`take`) instead of decoding the photo again when its first photo is
    ``path`` with the same ``white_balance``."""

    def __init__(self, path: Path, white_balance: WhiteBalance, result: Future[Loaded]) -> None:
        self.path, self.white_balance = path, white_balance
        self._result: Future[Loaded] | None = result

    def take(self, path: Path, white_balance: WhiteBalance) -> Future[Loaded] | None:
        """The decode when it is of ``path`` with ``white_balance``, else ``None`` (the
        first photo to process is another one: its output exists, say). Asked once by the
        batch, and forgotten here either way: the photo is freed when the batch lets go of
        it (before encoding its result), or at once when it is not used, instead of being
        held to the end of the command (a 100 MP photo: 300 MB)."""
        result, self._result = self._result, None
        if path != self.path or white_balance is not self.white_balance:
            return None
        return result


def start_reading(path: Path, white_balance: WhiteBalance) -> EarlyRead:
    """Start decoding ``path`` in a daemon thread of its own: a command that stops before
    its batch (a bad option, a broken model) leaves without waiting for it."""
    result: Future[Loaded] = Future()

    def run() -> None:
        try:
            result.set_result(load(path, white_balance))
        except BaseException as exc:  # e.g. MemoryError: the batch re-raises it, as a pool's would
            result.set_exception(exc)

    threading.Thread(target=run, name="zdce-early-read", daemon=True).start()
    return EarlyRead(path, white_balance, result)
