"""What the app needs from the system before Qt starts, checked without importing Qt.

On Linux, Qt's xcb platform plugin aborts with a message about one library at a time when
the X11/xcb libraries are missing (a fresh Debian lacks ``libxcb-cursor0``,
``libxcb-icccm4`` and ``libxcb-keysyms1``). The list below is what ``ldd`` shows for
PySide6 6.x's ``libqxcb.so`` and ``libQt6XcbQpa.so.6``, with the Debian/Ubuntu package of each.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys

XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
}


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def uses_xcb(environ: dict[str, str] | None = None) -> bool:
    """Whether Qt will start on X11 (xcb): on Linux, unless another platform is chosen
    (``QT_QPA_PLATFORM``) or the session is Wayland."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux"):
        return False
    chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.startswith("xcb")
    return not (env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland")


def missing_xcb_libraries() -> list[str]:
    """The sonames of ``XCB_LIBRARIES`` that cannot be loaded here."""
    return [soname for soname in XCB_LIBRARIES if not _loads(soname)]


def startup_problem() -> str | None:
    """One line saying what to install before the app can start, or ``None``."""
    if importlib.util.find_spec("PySide6") is None:
        return 'zdce-gui: the app is not installed; install it with: pip install "zdce[gui]"'
    if not uses_xcb():
        return None
    missing = missing_xcb_libraries()
    if not missing:
        return None
    packages = " ".join(XCB_LIBRARIES[s] for s in missing)
    return (
        f"zdce-gui: Qt needs system libraries this machine lacks ({', '.join(missing)}); "
        f"install them with: sudo apt-get install {packages} "
        "(other distributions: the packages providing these files)"
    )
