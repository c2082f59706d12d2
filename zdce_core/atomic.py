"""Atomic file writes: write to a temporary file beside the target, then rename into place.

An interrupted or failed write never leaves a half-written file under the target's name,
and never touches an existing file until the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

TEMP_SUFFIX = ".part"


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in ``target``'s folder; on success rename it to ``target``.

    The caller writes the whole file to the yielded path. On an exception (including
    ``KeyboardInterrupt``) the temporary file is removed and ``target`` is left as it was.
    The new file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
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
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
