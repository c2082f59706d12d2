"""Every question the app asks the user, in one seam.

Windows ask through an :class:`Asker` (modal Qt dialogs); tests hand them a
:class:`ScriptedAsker` that answers as a user would, so that a test clicks the real button
and the real slot runs, without a modal dialog blocking the event loop.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget


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
