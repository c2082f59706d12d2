"""The one cancel contract of the core: a token the front end sets and the work polls.

Long work (a batch, a preview, a training run) takes a ``cancel`` callable and checks it
between steps (strips of a photo, photos, training steps); a :class:`CancelToken` is such a
callable that another thread can set.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

Cancel = Callable[[], bool]
"""A callable the work polls between steps; true means stop."""


class Cancelled(Exception):
    """Raised inside long work (rendering, previews) when the cancel callable returned True."""


class CancelToken:
    """``token()`` is true once ``token.cancel()`` was called, from any thread."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def __call__(self) -> bool:
        return self._event.is_set()
