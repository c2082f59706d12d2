"""Model → Manage…: the bundled and the user's models with their model cards; rename, delete
and export the user's. A file that is not a usable model (a named pipe, a broken header) is
listed greyed with the reason and can be deleted; listing never opens a file that is not a
regular file, so nothing here can block the GUI thread."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from zdce_core.model_names import printable
from zdce_core.model_store import (
    ModelEntry,
    ModelInfo,
    ModelSource,
    delete_model,
    export_model,
    list_models,
    rename_model,
)
from zdce_gui.dialogs import Asker
from zdce_gui.loss_chart import LOSS_NAMES
from zdce_gui.workers import WorkerPool

CARD_FIELDS = (
    ("arch", "Architecture"),
    ("base", "Started from"),
    ("data", "Training photos"),
    ("images", "Training images"),
    ("validation_images", "Validation images"),
    ("epochs", "Epochs"),
    ("crop", "Crop (px)"),
    ("batch_size", "Batch size"),
    ("lr", "Learning rate"),
    ("exposure_target", "Brightness target"),
    ("train_loss", "Final training loss"),
    ("val_loss", "Validation loss"),
    ("date", "Date"),
    ("source", "Source"),
)


def _cell(text: str) -> str:
    return html.escape(printable(text))


ARCH_NAMES = {"dcenet": "DCE-Net", "dcenet++": "DCE-Net++"}
_SCRATCH_RUN = re.compile(
    r"(?P<run>[^()]+?) \((?P<arch>[^(),]+) from scratch, (?P<epochs>\d+) epochs?\)"
)
"""A ``base`` naming a first run, as the bundled model's: "pp (DCE-Net++ from scratch,
24 epochs)"."""


def _card_value(key: str, meta: dict[str, str]) -> str:
    """How the card shows ``meta[key]``: the architecture by its name, the starting point in
    words ("a DCE-Net++ trained from scratch for 24 epochs (recipe pp)"), and the epochs as
    this run's ("11 (this run; 35 in all)" when the run it started from says how many)."""
    value = meta[key]
    if key == "arch":
        return ARCH_NAMES.get(value, value)
    first_run = _SCRATCH_RUN.fullmatch(meta.get("base", ""))
    if key == "base" and first_run:
        arch, epochs, run = first_run["arch"], int(first_run["epochs"]), first_run["run"]
        return f"a {arch} trained from scratch for {epochs} epochs (recipe {run})"
    if key == "epochs" and value.isdigit():
        if first_run:
            return f"{value} (this run; {int(first_run['epochs']) + int(value)} in all)"
        return f"{value} (this run)"
    return value


def model_card_html(entry: ModelEntry, info: ModelInfo | None = None) -> str:
    """The metadata of ``entry`` as an HTML table (losses shown by component), or why its
    file cannot be read; ``info``: :meth:`ModelEntry.info`, when already read. Control
    characters in names and values are shown escaped."""
    info = info or entry.info()
    meta = info.metadata
    rows = [f"<tr><td><b>File</b></td><td>{_cell(str(entry.path))}</td></tr>"]
    if not info.readable:
        rows.append(f"<tr><td><b>Unreadable</b></td><td>{_cell(info.reason)}</td></tr>")
    for key, label in CARD_FIELDS:
        if key not in meta:
            continue
        value = _card_value(key, meta)
        if key.endswith("_loss"):
            try:
                parts = json.loads(value) or {}
                value = ", ".join(
                    f"{LOSS_NAMES.get(k, k)} {float(v):.4f}" for k, v in parts.items()
                )
            except (ValueError, TypeError, AttributeError, RecursionError):
                pass
        rows.append(f"<tr><td><b>{label}</b></td><td>{_cell(str(value))}</td></tr>")
    kind = "bundled with the app" if entry.source is ModelSource.BUNDLED else "yours"
    return f"<h3>{_cell(entry.name)} ({kind})</h3><table cellpadding=3>{''.join(rows)}</table>"


def item_text(entry: ModelEntry, info: ModelInfo) -> str:
    """A list row: ``"night (yours)"``, or ``"x (yours) — unreadable: REASON"``."""
    return entry.label if info.readable else f"{entry.label} — {printable(info.status)}"


class ModelManager(QDialog):
    """Lists models with their cards; renames, deletes (after asking) and exports the user's.
    Emits ``models_changed(old, new)`` after a rename (the model's old and new path) or a
    delete (``new`` is ``None``). File work runs in a worker thread."""

    models_changed = Signal(object, object)

    def __init__(self, parent: QWidget | None = None, asker: Asker | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.asker = asker or Asker(self)
        self.pool = WorkerPool()
        self.list = QListWidget()
        self.card = QTextBrowser()
        self.status = QLabel()
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete…")
        self.export_button = QPushButton("Export…")
        close = QPushButton("Close")
        self.rename_button.clicked.connect(self.ask_rename)
        self.delete_button.clicked.connect(self.ask_delete)
        self.export_button.clicked.connect(self.ask_export)
        close.clicked.connect(self.accept)
        self.list.currentRowChanged.connect(lambda _r: self.show_card())
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addWidget(self.card, 2)
        buttons = QHBoxLayout()
        for b in (self.rename_button, self.delete_button, self.export_button):
            buttons.addWidget(b)
        buttons.addWidget(self.status, 1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addLayout(buttons)
        self.resize(820, 460)
        self.entries: list[ModelEntry] = []
        self.infos: list[ModelInfo] = []
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        """List the models again (reading each header: only regular files are opened),
        selecting ``select``, else the model selected before (else the first)."""
        if select is None and (chosen := self.selected()) is not None:
            select = chosen.name
        self.entries = list_models()
        self.infos = [entry.info() for entry in self.entries]
        grey = self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        self.list.clear()
        for entry, info in zip(self.entries, self.infos, strict=True):
            item = QListWidgetItem(item_text(entry, info))
            if not info.readable:
                item.setForeground(grey)
                item.setToolTip(printable(info.status))
            self.list.addItem(item)
        names = [e.name for e in self.entries]
        self.list.setCurrentRow(names.index(select) if select in names else 0)
        self.show_card()

    def selected(self) -> ModelEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def selected_info(self) -> ModelInfo | None:
        row = self.list.currentRow()
        return self.infos[row] if 0 <= row < len(self.infos) else None

    def show_card(self) -> None:
        """The selected model's card; rename and delete for the user's models (readable or
        not), export for readable ones."""
        entry, info = self.selected(), self.selected_info()
        self.card.setHtml(model_card_html(entry, info) if entry else "No models installed.")
        mine = entry is not None and entry.source is ModelSource.USER
        self.rename_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.export_button.setEnabled(info is not None and info.readable)

    def ask_rename(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        new_name = self.asker.text("Rename model", "New name:", entry.name)
        if new_name is not None and new_name.strip() != entry.name:
            self.rename(entry, new_name)

    def rename(self, entry: ModelEntry, new_name: str) -> None:
        self._run(
            lambda: rename_model(entry, new_name),
            "Cannot rename",
            done=lambda path: self._changed(entry.path, path),
        )

    def ask_delete(self) -> None:
        """Delete the selected user model after asking (an unreadable file as well)."""
        entry, info = self.selected(), self.selected_info()
        if entry is None or info is None:
            return
        question = (
            f"Delete the model “{printable(entry.name)}”? This cannot be undone."
            if info.readable
            else f"Delete the unreadable file “{printable(entry.path.name)}” "
            f"({printable(info.reason)})? This cannot be undone."
        )
        if self.asker.confirm("Delete model", question):
            self._run(
                lambda: delete_model(entry),
                "Cannot delete",
                done=lambda _r: self._changed(entry.path, None),
            )

    def _changed(self, old: Path, new: Path | None) -> None:
        """List again after a rename (``old`` → ``new``) or a delete, and say so."""
        self.refresh(select=None if new is None else new.stem)
        self.models_changed.emit(old, new)

    def ask_export(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        target = self.asker.save_path(
            "Export model", Path.home() / entry.path.name, f"*{entry.path.suffix}"
        )
        if target is not None:
            self.export(entry, target)

    def export(self, entry: ModelEntry, target: Path) -> None:
        self._run(
            lambda: export_model(entry, target),
            "Cannot export",
            done=lambda path: self.status.setText(f"Exported to {path}"),
        )

    def _run(self, job, failure_title: str, done) -> None:
        """Run ``job()`` in the worker; ``done(result)`` or one message box with the reason."""
        self.pool.start(
            lambda _report, _cancelled: job(),
            result=done,
            error=lambda message: self.asker.warn(failure_title, message),
        )
