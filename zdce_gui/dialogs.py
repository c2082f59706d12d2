"""Every question the app asks the user, in one seam, and the keyboard-shortcut help.

Windows ask through an :class:`Asker` (modal Qt dialogs); tests hand them a
:class:`ScriptedAsker` that answers as a user would, so that a test clicks the real button
and the real slot runs, without a modal dialog blocking the event loop.
"""

from __future__ import annotations

import html
from collections import deque
from pathlib import Path

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QWidget,
)

OTHER_KEYS = (
    ("Space (hold)", "Show the original in the preview"),
    ("Mouse wheel", "Zoom around the pointer"),
    ("Double-click", "Toggle fit and 100%"),
)
"""The keys and mouse gestures of the preview that are not actions (actions list their own)."""


class Asker:
    """Modal dialogs over ``parent``."""

    def __init__(self, parent: QWidget | None) -> None:
        self.parent = parent

    def confirm(self, title: str, question: str) -> bool:
        answer = QMessageBox.question(self.parent, title, question)
        return answer == QMessageBox.StandardButton.Yes

    def text(self, title: str, label: str, default: str) -> str | None:
        value, ok = QInputDialog.getText(self.parent, title, label, text=default)
        return value if ok else None

    def open_paths(self, title: str, start: Path, filters: str) -> list[Path]:
        names, _ = QFileDialog.getOpenFileNames(self.parent, title, str(start), filters)
        return [Path(n) for n in names]

    def folder(self, title: str, start: Path) -> Path | None:
        name = QFileDialog.getExistingDirectory(self.parent, title, str(start))
        return Path(name) if name else None

    def save_path(self, title: str, start: Path, filters: str) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(self.parent, title, str(start), filters)
        return Path(name) if name else None

    def warn(self, title: str, message: str, details: str = "") -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, message, parent=self.parent)
        if details:
            box.setDetailedText(details)
        box.open()  # not exec(): the window keeps updating behind it

    def inform(self, title: str, rich_text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, title, rich_text, parent=self.parent)
        box.open()


class ScriptedAsker(Asker):
    """Answers from a script, records what was asked (for tests and the smoke test).

    ``answers`` are consumed in order by ``confirm``, ``text``, ``open_paths``, ``folder``
    and ``save_path``; with none left a question is declined. Warnings and information are
    recorded in ``shown`` as ``(title, message)``.
    """

    def __init__(self, *answers: object) -> None:
        super().__init__(None)
        self.answers: deque[object] = deque(answers)
        self.asked: list[str] = []
        self.shown: list[tuple[str, str]] = []

    def _next(self, title: str, default: object) -> object:
        self.asked.append(title)
        return self.answers.popleft() if self.answers else default

    def confirm(self, title: str, question: str) -> bool:
        return bool(self._next(title, False))

    def text(self, title: str, label: str, default: str) -> str | None:
        answer = self._next(title, None)
        return None if answer is None else str(answer)

    def open_paths(self, title: str, start: Path, filters: str) -> list[Path]:
        answer = self._next(title, [])
        return [Path(p) for p in answer] if isinstance(answer, list) else []

    def folder(self, title: str, start: Path) -> Path | None:
        answer = self._next(title, None)
        return None if answer is None else Path(str(answer))

    def save_path(self, title: str, start: Path, filters: str) -> Path | None:
        answer = self._next(title, None)
        return None if answer is None else Path(str(answer))

    def warn(self, title: str, message: str, details: str = "") -> None:
        self.shown.append((title, message))

    def inform(self, title: str, rich_text: str) -> None:
        self.shown.append((title, rich_text))


def plain_text(action: QAction) -> str:
    """The action's text without its ``&`` mnemonic (``&&`` is a literal ``&``)."""
    return "&".join(part.replace("&", "") for part in action.text().split("&&"))


def shortcut_text(action: QAction) -> str:
    """The action's shortcuts as the platform writes them (``Ctrl+O``, ``⌘O``)."""
    native = QKeySequence.SequenceFormat.NativeText
    return " or ".join(key.toString(native) for key in action.shortcuts())


def shortcut_sections(window: QMainWindow) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(heading, [(keys, what), …])``: each menu's actions that have a shortcut, then any
    other action of the window that has one, then the keys that are not actions."""
    sections: list[tuple[str, list[tuple[str, str]]]] = []
    listed: set[int] = set()

    def rows(actions: list[QAction]) -> list[tuple[str, str]]:
        found = [a for a in actions if not a.shortcut().isEmpty() and id(a) not in listed]
        listed.update(id(a) for a in found)
        return [(shortcut_text(a), plain_text(a)) for a in found]

    for menu_action in window.menuBar().actions():
        menu = menu_action.menu()
        if isinstance(menu, QMenu):
            sections.append((plain_text(menu_action), rows(menu.actions())))
    sections.append(("Other", rows(window.findChildren(QAction))))
    sections.append(("Preview", list(OTHER_KEYS)))
    return [(heading, found) for heading, found in sections if found]


class ShortcutsDialog(QDialog):
    """Help → Keyboard Shortcuts, made from the window's actions (so it lists what the keys
    really do): one row per shortcut under its menu's name, laid out by a form."""

    def __init__(self, parent: QMainWindow) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        form = QFormLayout(self)
        form.setHorizontalSpacing(24)
        self.sections = shortcut_sections(parent)
        for heading, found in self.sections:
            form.addRow(QLabel(f"<br><b>{html.escape(heading)}</b>"))
            for keys, what in found:
                form.addRow(QLabel(f"<b>{html.escape(keys)}</b>"), QLabel(html.escape(what)))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def text(self) -> str:
        """What the dialog lists, in plain words: each heading, then each row's keys and
        what they do, one a line."""
        lines: list[str] = []
        for heading, found in self.sections:
            lines.append(heading)
            lines.extend(part for row in found for part in row)
        return "\n".join(lines)
