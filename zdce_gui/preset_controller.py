"""Presets in the app: the chooser that applies one to the controls, "Save Settings as
Preset…", and the look controls a preset sets beside strength and denoise (target
brightness, highlight protection). Presets are the core's (:mod:`zdce_core.presets`), read
and written in a worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from zdce_core.adjustments import Adjustments
from zdce_core.outputs import FolderRule, PlanError
from zdce_core.presets import (
    Preset,
    PresetError,
    PresetProblem,
    check_preset_name,
    list_presets,
    save_preset,
)
from zdce_gui.dialogs import Asker
from zdce_gui.main_layout import MainLayout, set_checked_silently
from zdce_gui.output_box import folder_rule, read_output, show_preset_output
from zdce_gui.queue_model import QueueModel
from zdce_gui.session import Session
from zdce_gui.workers import WorkerPool

CHOOSE_TEXT = "Apply a preset…"
"""The chooser's first entry: it shows this again once a preset is applied, so choosing the
same preset again applies it again."""


@dataclass(frozen=True)
class _Saved:
    name: str
    path: Path


class PresetController(QObject):
    """Fills the preset chooser (in a worker), applies the chosen preset and saves the
    settings as a new one. The look controls' values are kept in the session's settings
    (the batch and the preview read them there); a change is said by the session's
    ``adjustments_changed``."""

    def __init__(
        self, session: Session, ui: MainLayout, queue: QueueModel, asker: Asker, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.session, self.ui, self.queue, self.asker = session, ui, queue, asker
        self.pool = WorkerPool()
        self.presets: list[Preset] = []
        self.problems: list[PresetProblem] = []
        ui, s = self.ui, session.settings
        ui.target_spin.setValue(s.target_brightness)
        s.target_brightness = round(ui.target_spin.value(), 2)  # as shown (in range, rounded)
        set_checked_silently(ui.highlights_check, s.protect_highlights)
        set_checked_silently(ui.cast_check, s.correct_cast)
        ui.target_spin.valueChanged.connect(lambda _v: self.look_changed())
        ui.highlights_check.toggled.connect(lambda _on: self.look_changed())
        ui.cast_check.toggled.connect(lambda _on: self.look_changed())
        ui.preset_combo.currentIndexChanged.connect(self.chosen)
        ui.save_preset_button.clicked.connect(lambda _checked=False: self.ask_save())
        ui.save_preset_action.triggered.connect(lambda _checked=False: self.ask_save())
        self.show_presets([])
        self.refresh()

    def look_changed(self) -> None:
        s, ui = self.session.settings, self.ui
        s.target_brightness = round(ui.target_spin.value(), 2)
        s.protect_highlights = ui.highlights_check.isChecked()
        s.correct_cast = ui.cast_check.isChecked()
        self.forget_auto_strengths()
        self.session.adjustments_changed.emit()

    def forget_auto_strengths(self) -> None:
        """Auto strengths chosen for another target are shown as "auto" until rendered."""
        queue = self.queue
        for row, item in enumerate(queue.items):
            if item.strength is None:
                queue.update(row, chosen=None)

    # the chooser ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Read the presets again (a folder of small files: in a worker)."""
        self.pool.start(lambda _report, _cancelled: list_presets(), result=self.listed)

    def listed(self, found: tuple[list[Preset], list[PresetProblem]]) -> None:
        presets, problems = found
        new = [p for p in problems if p not in self.problems]
        self.problems = problems
        self.show_presets(presets)
        if new:
            self.asker.warn(
                "Some presets were ignored",
                f"{len(new)} preset file(s) could not be read and are left out.",
                "\n".join(p.text for p in new),
            )

    def show_presets(self, presets: list[Preset]) -> None:
        self.presets = presets
        combo = self.ui.preset_combo
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(CHOOSE_TEXT, None)
        for preset in presets:
            combo.addItem(preset.name if preset.builtin else f"{preset.name} (yours)", preset)
        combo.setCurrentIndex(0)
        combo.blockSignals(False)

    def chosen(self, index: int) -> None:
        preset = self.ui.preset_combo.itemData(index)
        if isinstance(preset, Preset):
            self.apply(preset)
        self.ui.preset_combo.blockSignals(True)
        self.ui.preset_combo.setCurrentIndex(0)
        self.ui.preset_combo.blockSignals(False)

    def apply(self, preset: Preset) -> None:
        """Put ``preset`` into the controls: the batch's look and the export choices."""
        self.apply_look(preset.adjustments)
        show_preset_output(self.ui, preset)
        self.ui.status_label.setText(f"Preset “{preset.name}” applied.")

    def apply_look(self, look: Adjustments) -> None:
        """The batch's strength and denoise as a user sets them; a photo on show with its
        own keeps them (the batch takes the preset's)."""
        ui, s = self.ui, self.session.settings
        look_widgets = (ui.target_spin, ui.highlights_check, ui.cast_check)
        for widget in look_widgets:
            widget.blockSignals(True)
        ui.target_spin.setValue(look.target_brightness)
        ui.highlights_check.setChecked(look.protect_highlights)
        ui.cast_check.setChecked(look.correct_cast)
        for widget in look_widgets:
            widget.blockSignals(False)
        s.target_brightness = round(ui.target_spin.value(), 2)  # as shown (in range, rounded)
        s.protect_highlights = look.protect_highlights
        s.correct_cast = look.correct_cast
        self.forget_auto_strengths()
        if ui.own_strength_check.isChecked():
            s.strength, s.denoise = look.strength, look.denoise
            self.queue.batch_strength = look.strength
            self.session.adjustments_changed.emit()
            return
        if look.strength is None:
            ui.auto_check.setChecked(True)
        else:
            ui.auto_check.setChecked(False)
            ui.strength_spin.setValue(look.strength)
        ui.denoise_combo.setCurrentIndex(ui.denoise_combo.findData(look.denoise))
        self.session.adjustments_changed.emit()

    # saving --------------------------------------------------------------------------------
    def current(self, name: str) -> Preset:
        """The settings on show (the batch's look, the export choices) as preset ``name``;
        raises :class:`PresetError` for ones a preset cannot hold."""
        s, ui = self.session.settings, self.ui
        try:
            output = read_output(ui, Path())
        except PlanError as exc:
            raise PresetError(str(exc)) from None
        rule = folder_rule(ui)
        return Preset(
            name=name,
            adjustments=Adjustments(
                strength=s.strength,
                target_brightness=round(ui.target_spin.value(), 2),
                denoise=s.denoise,
                protect_highlights=ui.highlights_check.isChecked(),
                correct_cast=ui.cast_check.isChecked(),
            ),
            format=output.format,
            quality=output.quality,
            name_template=output.name_template,
            folder_rule=rule,
            folder=ui.folder_edit.text().strip() if rule is FolderRule.CHOSEN else "",
            long_edge=output.long_edge,
            unchanged=output.unchanged,
        )

    def ask_save(self) -> None:
        """Ask a name, then write the preset in a worker (asking before replacing one)."""
        answer = self.asker.text("Save Settings as Preset", "Preset name:", "")
        if answer is None:
            return
        try:
            preset = self.current(check_preset_name(answer))
        except PresetError as exc:
            self.asker.warn("Cannot save the preset", str(exc))
            return
        mine = [p for p in self.presets if not p.builtin]
        replace = any(p.name.casefold() == preset.name.casefold() for p in mine)
        if replace and not self.asker.confirm(
            "Replace the preset?", f"A preset named {preset.name} exists. Replace it?"
        ):
            return

        def work(_report, _cancelled) -> _Saved:
            return _Saved(preset.name, save_preset(preset, replace_existing=replace))

        self.pool.start(work, result=self.saved, error=self.save_failed)

    def saved(self, saved: _Saved) -> None:
        self.ui.status_label.setText(f"Preset “{saved.name}” saved in {saved.path.parent}.")
        self.refresh()

    def save_failed(self, message: str) -> None:
        self.asker.warn("Cannot save the preset", message)
