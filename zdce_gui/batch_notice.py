"""A long batch says when it is done: its progress in the main window's title
("12 / 40 — zdce") while it runs, and, when it ends while the window is not active, a desktop
notification ("40 photos enhanced, 1 failed — output in …") or, where the platform has no
system tray, a flash of the window's taskbar entry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QMainWindow, QStyle, QSystemTrayIcon

from zdce_core.batch_events import BatchSummary

NOTICE_MS = 10_000
"""How long the desktop notification shows."""


def progress_title(done: int, total: int) -> str:
    """The window title while a batch runs: short, so a taskbar entry shows the counts."""
    return f"{done} / {total} — zdce"


def _photos(count: int) -> str:
    return f"{count} photo" if count == 1 else f"{count} photos"


def _output_place(folders: list[Path]) -> str:
    if not folders:
        return ""
    others = len(folders) - 1
    more = f" and {others} other folder{'s' if others > 1 else ''}" if others else ""
    return f" — output in {folders[0]}{more}"


def notice_title(summary: BatchSummary) -> str:
    """The notification's heading."""
    return "zdce: batch cancelled" if summary.cancelled else "zdce: batch finished"


def notice_text(summary: BatchSummary, folders: list[Path]) -> str:
    """What the batch did, e.g. "40 photos enhanced, 1 failed — output in /photos/out"."""
    if summary.cancelled:
        counts = [f"Cancelled after {_photos(summary.done)} enhanced"]
    else:
        counts = [f"{_photos(summary.done)} enhanced"]
    counts += [
        f"{n} {what}" for n, what in ((summary.skipped, "skipped"), (summary.failed, "failed")) if n
    ]
    place = _output_place(folders) if summary.done else ""
    return ", ".join(counts) + place


def notify(window: QMainWindow, tray: QSystemTrayIcon | None, title: str, text: str) -> None:
    """Show ``text`` as a desktop notification from ``tray``; without one (no system tray on
    this platform), flash ``window``'s taskbar entry until it is activated."""
    if tray is None:
        QApplication.alert(window)
        return
    tray.show()
    tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, NOTICE_MS)


class BatchNotice:
    """Follows one batch at a time for ``window``: title while it runs, notice at its end."""

    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.title = window.windowTitle()
        """The title to restore when the batch ends."""
        self.folders: list[Path] = []
        self.tray: QSystemTrayIcon | None = None
        """Made on the first notice, where the platform has a system tray."""

    def started(self, total: int, folders: list[Path]) -> None:
        """A batch of ``total`` photos into ``folders`` begins."""
        self.title = self.window.windowTitle()
        self.folders = folders
        if self.tray is not None:
            self.tray.hide()
        self.window.setWindowTitle(progress_title(0, total))

    def progressed(self, done: int, total: int) -> None:
        self.window.setWindowTitle(progress_title(done, total))

    def ended(self, summary: BatchSummary) -> None:
        """Say that the batch ended, unless the user is looking at the window."""
        self.restore()
        if self.window.isActiveWindow():
            return
        notify(self.window, self._tray(), notice_title(summary), notice_text(summary, self.folders))

    def restore(self) -> None:
        """Put the window's own title back (also after a batch stopped by an error)."""
        self.window.setWindowTitle(self.title)

    def _tray(self) -> QSystemTrayIcon | None:
        if self.tray is None and QSystemTrayIcon.isSystemTrayAvailable():
            icon = QApplication.windowIcon()
            if icon.isNull():
                icon = self.window.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton)
            self.tray = QSystemTrayIcon(icon, self.window)
            self.tray.setToolTip("zdce")
            self.tray.messageClicked.connect(self._bring_back)
        return self.tray

    def _bring_back(self) -> None:
        """Clicking the notification shows the window (its queue says which photos failed)."""
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()
        if self.tray is not None:
            self.tray.hide()
