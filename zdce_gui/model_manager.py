"""Model → Manage…: the bundled and the user's models with their model cards; rename, delete
and export the user's."""

from __future__ import annotations

import html
import json
from pathlib import Path

from PySide6.QtCore import Signal
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

from zdce_core.model_store import (
    ModelEntry,
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


def model_card_html(entry: ModelEntry) -> str:
    """The metadata of ``entry`` as an HTML table (losses shown by component)."""
    meta = entry.metadata()
    rows = [f"<tr><td><b>File</b></td><td>{html.escape(str(entry.path))}</td></tr>"]
    for key, label in CARD_FIELDS:
        if key not in meta:
            continue
        value = meta[key]
        if key.endswith("_loss"):
            try:
                parts = json.loads(value) or {}
                value = ", ".join(
                    f"{LOSS_NAMES.get(k, k)} {float(v):.4f}" for k, v in parts.items()
                )
            except (ValueError, TypeError, AttributeError):
                pass
        rows.append(f"<tr><td><b>{label}</b></td><td>{html.escape(str(value))}</td></tr>")
    kind = "bundled with the app" if entry.source is ModelSource.BUNDLED else "yours"
    return (
        f"<h3>{html.escape(entry.name)} ({kind})</h3><table cellpadding=3>{''.join(rows)}</table>"
    )


class ModelManager(QDialog):
    """Lists models with their cards; renames, deletes (after asking) and exports the user's.
    Emits ``models_changed`` after a rename or delete. File work runs in a worker thread."""

    models_changed = Signal()

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
        self.refresh()

    def refresh(self, select: str | None = None) -> None:
        self.entries = list_models()
        self.list.clear()
        for entry in self.entries:
            self.list.addItem(QListWidgetItem(entry.label))
        names = [e.name for e in self.entries]
        self.list.setCurrentRow(names.index(select) if select in names else 0)
        self.show_card()

    def selected(self) -> ModelEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def show_card(self) -> None:
        entry = self.selected()
        self.card.setHtml(model_card_html(entry) if entry else "No models installed.")
        mine = entry is not None and entry.source is ModelSource.USER
        self.rename_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.export_button.setEnabled(entry is not None)

    def ask_rename(self) -> None:
        entry = self.selected()
        if entry is None:
            return
        new_name = self.asker.text("Rename model", "New name:", entry.name)
        if new_name is not None and new_name.strip() != entry.name:
            self.rename(entry, new_name)

    def rename(self, entry: ModelEntry, new_name: str) -> None:
        self._run(
            lambda: rename_model(entry.name, new_name).stem,
            "Cannot rename",
            done=lambda stem: (self.refresh(select=stem), self.models_changed.emit()),
        )

    def ask_delete(self) -> None:
        entry = self.selected()
        if entry is not None and self.asker.confirm(
            "Delete model", f"Delete the model “{entry.name}”? This cannot be undone."
        ):
            self._run(
                lambda: delete_model(entry.name),
                "Cannot delete",
                done=lambda _r: (self.refresh(), self.models_changed.emit()),
            )

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
