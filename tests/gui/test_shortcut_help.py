"""Issue 21, the GUI's design step: Help → Keyboard Shortcuts is made from the window's own
actions, so it cannot fall out of step with the keys: every action with a shortcut is listed
(its text without the mnemonic, its keys as the platform writes them), and a shortcut given
to an action is listed without editing the help."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence

from zdce_gui.dialogs import OTHER_KEYS, ShortcutsDialog, plain_text, shortcut_text
from zdce_gui.main_window import MainWindow


def open_help(window: MainWindow) -> ShortcutsDialog:
    """Help → Keyboard Shortcuts, as a user opens it (the newest dialog)."""
    window.ui.shortcuts_action.trigger()
    return [d for d in window.findChildren(ShortcutsDialog) if d.isVisible()][-1]


def test_every_action_with_a_shortcut_is_listed(window):
    text = open_help(window).text()
    actions = [a for a in window.findChildren(QAction) if not a.shortcut().isEmpty()]
    assert len(actions) >= 10
    for action in actions:
        keys, what = shortcut_text(action), plain_text(action)
        assert "&" not in what and keys and keys in text and what in text, what
    for keys, what in OTHER_KEYS:
        assert keys in text and what in text
    assert "Add Files…" in text and "Ctrl+Shift+O" in text  # a spot check, in plain words
    open_help(window).grab().save("/tmp/issue21_shortcuts.png")


def test_a_new_shortcut_is_listed_without_editing_the_help(window):
    assert "Train…" not in open_help(window).text()
    window.ui.train_action.setShortcut(QKeySequence("Ctrl+T"))
    text = open_help(window).text()
    assert "Train…" in text and "Ctrl+T" in text
