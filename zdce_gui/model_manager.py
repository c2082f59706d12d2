"""Model → Manage…: the bundled and the user's models with their model cards; rename, delete
and export the user's."""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from zdce_core.model_store import ModelEntry, delete_model, list_models, rename_model
from zdce_core.weights import WeightsError

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
                value = ", ".join(f"{k} {float(v):.4f}" for k, v in parts.items())
            except (ValueError, TypeError, AttributeError):
                pass
        rows.append(f"<tr><td><b>{label}</b></td><td>{html.escape(str(value))}</td></tr>")
    kind = "bundled with the app" if entry.source == "bundled" else "yours"
    return (
        f"<h3>{html.escape(entry.name)} ({kind})</h3><table cellpadding=3>{''.join(rows)}</table>"
    )


class ModelManager(QDialog):
    """Lists models; emits ``models_changed`` after a rename or delete."""

    models_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.list = QListWidget()
        self.card = QTextBrowser()
        self.rename_button = QPushButton("Rename…")
        self.delete_button = QPushButton("Delete")
        self.export_button = QPushButton("Export…")
        close = QPushButton("Close")
        self.rename_button.clicked.connect(self.rename_selected)
        self.delete_button.clicked.connect(self.delete_selected)
        self.export_button.clicked.connect(self.export_selected)
        close.clicked.connect(self.accept)
        self.list.currentRowChanged.connect(lambda _r: self.show_card())
        top = QHBoxLayout()
        top.addWidget(self.list, 1)
        top.addWidget(self.card, 2)
        buttons = QHBoxLayout()
        for b in (self.rename_button, self.delete_button, self.export_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
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
            label = entry.name if entry.source == "bundled" else f"{entry.name} (yours)"
            self.list.addItem(QListWidgetItem(label))
        names = [e.name for e in self.entries]
        self.list.setCurrentRow(names.index(select) if select in names else 0)
        self.show_card()

    def selected(self) -> ModelEntry | None:
        row = self.list.currentRow()
        return self.entries[row] if 0 <= row < len(self.entries) else None

    def show_card(self) -> None:
        entry = self.selected()
        self.card.setHtml(model_card_html(entry) if entry else "No models installed.")
        mine = entry is not None and entry.source == "user"
        self.rename_button.setEnabled(mine)
        self.delete_button.setEnabled(mine)
        self.export_button.setEnabled(entry is not None)

    def rename_selected(self, new_name: str | None = None) -> None:
        entry = self.selected()
        if entry is None:
            return
        if new_name is None:
            new_name, ok = QInputDialog.getText(self, "Rename model", "New name:", text=entry.name)
            if not ok:
                return
        try:
            path = rename_model(entry.name, new_name)
        except (ValueError, OSError) as exc:
            QMessageBox.warning(self, "Cannot rename", str(exc))
            return
        self.refresh(select=path.stem)
        self.models_changed.emit()

    def delete_selected(self, confirm: bool = True) -> None:
        entry = self.selected()
        if entry is None:
            return
        if (
            confirm
            and QMessageBox.question(
                self, "Delete model", f"Delete the model “{entry.name}”? This cannot be undone."
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        try:
            delete_model(entry.name)
        except (WeightsError, OSError) as exc:
            QMessageBox.warning(self, "Cannot delete", str(exc))
            return
        self.refresh()
        self.models_changed.emit()

    def export_selected(self, target: Path | None = None) -> None:
        entry = self.selected()
        if entry is None:
            return
        if target is None:
            name, _ = QFileDialog.getSaveFileName(
                self, "Export model", str(Path.home() / entry.path.name), f"*{entry.path.suffix}"
            )
            if not name:
                return
            target = Path(name)
        shutil.copyfile(entry.path, target)
