"""The output box's behaviour: the core's :class:`~zdce_core.outputs.OutputOptions` shown in
its widgets and read back from them, and the folder field following the "Save to" choice."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from zdce_core.outputs import FolderRule, OutputOptions, PlanError, Unchanged
from zdce_core.presets import Preset
from zdce_gui.main_layout import MainLayout

FOLDER_RULES = [
    ("A folder beside the photos' folder: <folder>-enhanced", FolderRule.SIBLING),
    ("Beside each original", FolderRule.BESIDE),
    ("A chosen folder", FolderRule.CHOSEN),
]
UNCHANGED_CHOICES = [
    ("Copy the original", Unchanged.COPY),
    ("Write anyway", Unchanged.WRITE),
    ("Skip", Unchanged.SKIP),
]
"""What becomes of photos that need no change (strength 0)."""


def show_output(ui: MainLayout, opts: OutputOptions, rule: FolderRule, folder: str) -> None:
    """Put ``opts`` (all but overwrite), the folder rule and the chosen folder's text into
    the widgets."""
    ui.folder_edit.setText(folder)
    show_folder_rule(ui, rule)
    ui.suffix_edit.setText(opts.suffix)
    ui.name_edit.setText(opts.name_template)
    ui.format_combo.setCurrentIndex(max(0, ui.format_combo.findData(opts.format)))
    ui.quality_spin.setValue(opts.quality)
    ui.long_edge_spin.setValue(opts.long_edge or 0)
    ui.unchanged_combo.setCurrentIndex(max(0, ui.unchanged_combo.findData(opts.unchanged)))
    ui.metadata_check.setChecked(opts.keep_metadata)
    ui.mirror_check.setChecked(opts.mirror)


def show_folder_rule(ui: MainLayout, rule: FolderRule) -> None:
    ui.folder_rule_combo.setCurrentIndex(max(0, ui.folder_rule_combo.findData(rule)))
    follow_folder_rule(ui)


def folder_rule(ui: MainLayout) -> FolderRule:
    return ui.folder_rule_combo.currentData()


def read_output(
    ui: MainLayout, folder: Path, model: str = "", strength: str = "auto"
) -> OutputOptions:
    """The options the widgets show, for outputs in ``folder``; ``model`` and ``strength``:
    what ``{model}`` and ``{strength}`` stand for. Raises
    :class:`~zdce_core.outputs.PlanError` (a refused name template) in one line."""
    return OutputOptions(
        folder=folder,
        suffix=ui.suffix_edit.text(),
        format=ui.format_combo.currentData(),
        quality=ui.quality_spin.value(),
        keep_metadata=ui.metadata_check.isChecked(),
        overwrite=ui.overwrite_check.isChecked(),
        mirror=ui.mirror_check.isChecked(),
        name_template=ui.name_edit.text(),
        long_edge=ui.long_edge_spin.value() or None,
        unchanged=ui.unchanged_combo.currentData(),
        model=model,
        strength=strength,
    )


def remembered_output(ui: MainLayout, remembered: OutputOptions) -> OutputOptions:
    """What the widgets show, to be remembered (never Overwrite); ``remembered`` when they
    hold something the core refuses (e.g. a name template with a ``/``)."""
    try:
        return replace(read_output(ui, remembered.folder), overwrite=False)
    except PlanError:
        return remembered


def follow_folder_rule(ui: MainLayout) -> None:
    """Mirror subfolders has no meaning beside the originals."""
    ui.mirror_check.setEnabled(folder_rule(ui) is not FolderRule.BESIDE)


def connect_output_box(ui: MainLayout) -> None:
    """Fill the choices; a folder typed or browsed to is the chosen folder: "Save to"
    follows it (the folder field and Browse… stay enabled whatever the choice, so a folder is
    one step away)."""
    for label, rule in FOLDER_RULES:
        ui.folder_rule_combo.addItem(label, rule)
    for label, policy in UNCHANGED_CHOICES:
        ui.unchanged_combo.addItem(label, policy)
    ui.folder_rule_combo.currentIndexChanged.connect(lambda _i: follow_folder_rule(ui))

    def folder_changed(text: str) -> None:
        if text.strip() and folder_rule(ui) is not FolderRule.CHOSEN:
            show_folder_rule(ui, FolderRule.CHOSEN)

    ui.folder_edit.textChanged.connect(folder_changed)


def show_preset_output(ui: MainLayout, preset: Preset) -> None:
    """Put ``preset``'s export choices into the widgets (its folder when it names one); the
    suffix, metadata, mirroring and overwrite stay as they are."""
    if preset.folder_rule is FolderRule.CHOSEN:
        ui.folder_edit.setText(preset.folder)
    show_folder_rule(ui, preset.folder_rule)
    ui.name_edit.setText(preset.name_template)
    ui.format_combo.setCurrentIndex(max(0, ui.format_combo.findData(preset.format)))
    ui.quality_spin.setValue(preset.quality)
    ui.long_edge_spin.setValue(preset.long_edge or 0)
    ui.unchanged_combo.setCurrentIndex(max(0, ui.unchanged_combo.findData(preset.unchanged)))
