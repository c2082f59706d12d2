"""A photo that needs no change (strength 0) written as a byte-for-byte copy of its input,
when its format allows (:func:`~zdce_core.outputs.can_copy_unchanged`)."""

from __future__ import annotations

import shutil
from pathlib import Path

from zdce_core.atomic import atomic_path
from zdce_core.image_io import open_regular


def copy_unchanged(source: Path, out: Path, replace: bool) -> None:
    """Write ``out`` as a byte-for-byte copy of ``source``, atomically (complete or not at
    all); ``source`` is only read, and refused when it is no longer a regular file.

    Raises :class:`~zdce_core.image_io.ImageReadError` (the source),
    :class:`~zdce_core.atomic.TargetExists` (``out`` appeared and ``replace`` is false) or
    ``OSError`` (writing).
    """
    with (
        open_regular(source) as src,
        atomic_path(out, replace=replace) as tmp,
        open(tmp, "wb") as dst,
    ):
        shutil.copyfileobj(src, dst, 1 << 20)
