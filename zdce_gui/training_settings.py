"""The settings side of the training dialog: model name, starting point and the training
options, shown with the defaults of the core's presets (the same as ``zdce train``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSlider,
    QSpinBox,
)

from zdce_core.losses import LossWeights
from zdce_core.model_names import MODEL_NAME_RULE, check_model_name
from zdce_core.model_store import list_models
from zdce_core.training_check import Remedy
from zdce_core.training_config import Preset, TrainConfig, preset_config
from zdce_gui.loss_chart import LOSS_NAMES

SETTINGS_TITLE = "Training"
EPOCHS_LABEL = "Epochs"
LR_LABEL = "Learning rate"
BRIGHTNESS_LABEL = "Brightness target"
REMEDY_WORDS = {
    Remedy.LOWER_LEARNING_RATE: f"a lower {LR_LABEL.lower()}",
    Remedy.FEWER_EPOCHS: f"fewer {EPOCHS_LABEL.lower()}",
    Remedy.HIGHER_EXPOSURE_TARGET: f"a higher {BRIGHTNESS_LABEL.lower()}",
}
"""The core's remedies in the names of this panel's settings (the CLI names its flags)."""


@dataclass(frozen=True)
class StartFrom:
    """A choice of the "Start from" box: fine-tune a model file, or an architecture from
    scratch."""

    preset: Preset
    arch: str
    base: str | None


def _spin(lo: int, hi: int, value: int, step: int = 1) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setSingleStep(step)
    spin.setValue(value)
    return spin


class TrainingSettings(QGroupBox):
    """Emits ``changed`` when the model name or the epochs change (what can be resumed
    depends on them: a run can be continued up to more epochs than it has done)."""

    changed = Signal()

    def __init__(self) -> None:
        super().__init__(SETTINGS_TITLE)
        defaults = preset_config(Preset.FINE_TUNE, [], "")
        form = QFormLayout(self)
        self.name_edit = QLineEdit("my-photos")
        self.name_edit.textChanged.connect(lambda _t: self.changed.emit())
        self.name_edit.setToolTip(MODEL_NAME_RULE[:1].upper() + MODEL_NAME_RULE[1:])
        form.addRow("Model name", self.name_edit)
        self.name_problem = QLabel()
        self.name_problem.setWordWrap(True)
        self.name_problem.setStyleSheet("color: #c62828")
        form.addRow("", self.name_problem)
        self.name_edit.textChanged.connect(lambda _t: self._show_name_problem(form))
        self._show_name_problem(form)
        self.base_combo = QComboBox()
        for entry in list_models():
            arch = entry.metadata().get("arch", "dcenet")
            choice = StartFrom(Preset.FINE_TUNE, arch, str(entry.path))
            self.base_combo.addItem(f"Fine-tune {entry.name}", choice)
        for label, arch in (("DCE-Net", "dcenet"), ("DCE-Net++", "dcenet++")):
            self.base_combo.addItem(
                f"From scratch ({label})", StartFrom(Preset.REFERENCE, arch, None)
            )
        self.base_combo.currentIndexChanged.connect(lambda _i: self._apply_preset())
        form.addRow("Start from", self.base_combo)
        self.epochs_spin = _spin(1, 1000, defaults.epochs)
        self.epochs_spin.valueChanged.connect(lambda _v: self.changed.emit())
        self.crop_spin = _spin(64, 512, defaults.crop, step=16)
        self.batch_spin = _spin(1, 64, defaults.batch_size)
        form.addRow(EPOCHS_LABEL, self.epochs_spin)
        form.addRow("Crop size (px)", self.crop_spin)
        form.addRow("Batch size", self.batch_spin)
        self.lr_spin = QDoubleSpinBox()
        self.lr_spin.setDecimals(6)
        self.lr_spin.setRange(1e-6, 1e-2)
        self.lr_spin.setSingleStep(1e-5)
        self.lr_spin.setToolTip("5e-5 suits fine-tuning; 1e-4 is the reference from scratch")
        form.addRow(LR_LABEL, self.lr_spin)
        self.exposure_slider = QSlider(Qt.Orientation.Horizontal)
        self.exposure_slider.setRange(30, 80)
        self.exposure_label = QLabel()
        self.exposure_slider.valueChanged.connect(
            lambda v: self.exposure_label.setText(f"{v / 100:.2f}")
        )
        self.exposure_slider.setValue(round(defaults.exposure_target * 100))
        row = QHBoxLayout()
        row.addWidget(self.exposure_slider, 1)
        row.addWidget(self.exposure_label)
        form.addRow(BRIGHTNESS_LABEL, row)
        hint = QLabel("How bright the result should be: lower if results look over-exposed.")
        hint.setWordWrap(True)
        form.addRow("", hint)
        self.advanced = QGroupBox("Advanced: loss weights")
        self.advanced.setCheckable(True)
        self.advanced.setChecked(False)
        adv = QFormLayout(self.advanced)
        self.weight_spins: dict[str, QDoubleSpinBox] = {}
        for key in ("spa", "exp", "col", "tv"):
            spin = QDoubleSpinBox()
            spin.setRange(0.0, 100_000.0)
            adv.addRow(LOSS_NAMES[key].capitalize(), spin)
            self.weight_spins[key] = spin
        form.addRow(self.advanced)
        self._apply_preset()

    def _apply_preset(self) -> None:
        """Show the learning rate and loss weights of the chosen starting point."""
        choice: StartFrom = self.base_combo.currentData()
        self.lr_spin.setValue(preset_config(choice.preset, [], "").lr)
        for key, value in vars(LossWeights.for_arch(choice.arch)).items():
            self.weight_spins[key].setValue(value)

    def _show_name_problem(self, form: QFormLayout) -> None:
        """Under an unusable model name, why and which names are usable (Start is off)."""
        try:
            check_model_name(self.name_edit.text())
        except ValueError as exc:
            self.name_problem.setText(str(exc))
            form.setRowVisible(self.name_problem, True)
        else:
            form.setRowVisible(self.name_problem, False)

    def run_name(self) -> str | None:
        try:
            return check_model_name(self.name_edit.text())
        except ValueError:
            return None

    def config(self, sources: list[Path]) -> TrainConfig:
        """The run these settings describe, on the photos in ``sources``."""
        choice: StartFrom = self.base_combo.currentData()
        weights = {k: s.value() for k, s in self.weight_spins.items()}
        return preset_config(
            choice.preset,
            data=[str(p) for p in sources],
            name=check_model_name(self.name_edit.text()),
            arch=choice.arch,
            base=choice.base,
            epochs=self.epochs_spin.value(),
            crop=self.crop_spin.value(),
            batch_size=self.batch_spin.value(),
            lr=self.lr_spin.value(),
            exposure_target=self.exposure_slider.value() / 100,
            loss_weights=weights if self.advanced.isChecked() else None,
        )
