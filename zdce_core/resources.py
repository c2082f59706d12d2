"""Where the bundled resources (default model, icons) and the user's files live.

One helper for resource paths, frozen (PyInstaller) or not; user files go to platformdirs
locations (or ``$ZDCE_HOME`` when set), never into the application folder.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import platformdirs

APP_NAME = "zdce"


def resource_dir() -> Path:
    """The ``resources/`` folder: beside the source tree, or inside a frozen app."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    """A path inside :func:`resource_dir`."""
    return resource_dir().joinpath(*parts)


def user_data_dir() -> Path:
    """The user's data folder (models, training runs): ``$ZDCE_HOME`` or platformdirs'."""
    override = os.environ.get("ZDCE_HOME")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
