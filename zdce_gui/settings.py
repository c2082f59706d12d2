"""What the app remembers between sessions, typed, read from and written to ``QSettings``.

"Overwrite existing outputs" is deliberately not remembered: a dangerous choice starts
unticked in every session. The output settings are the core's
:class:`~zdce_core.outputs.OutputOptions` (one definition for the CLI, the app and presets).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Denoise
from zdce_core.output_names import template_problem
from zdce_core.outputs import OUTPUT_FORMATS, FolderRule, OutputOptions, Unchanged
from zdce_gui.compare_view import ViewMode


@dataclass
class AppSettings:
    """``strength``: the batch strength, ``None`` for auto exposure; ``output``: how outputs
    are written (its folder unused: ``output_folder`` is the chosen folder's text, used when
    ``folder_rule`` is :attr:`FolderRule.CHOSEN`); ``model``: the chosen model file, ``None``
    for the default."""

    output: OutputOptions = field(default_factory=lambda: OutputOptions(folder=Path()))
    folder_rule: FolderRule = FolderRule.SIBLING
    output_folder: str = ""
    recursive: bool = True
    strength: float | None = None
    denoise: Denoise = DEFAULT_ADJUSTMENTS.denoise
    target_brightness: float = DEFAULT_ADJUSTMENTS.target_brightness
    protect_highlights: bool = DEFAULT_ADJUSTMENTS.protect_highlights
    correct_cast: bool = DEFAULT_ADJUSTMENTS.correct_cast
    view_mode: ViewMode = ViewMode.SPLIT
    device: str = "auto"
    model: Path | None = None
    input_dir: Path = field(default_factory=Path.home)
    model_dir: Path = field(default_factory=Path.home)
    geometry: QByteArray | None = None
    watch_folder: Path | None = None
    """The folder watched again when the app starts (the user ticked "Resume this watch")."""


def _bool(value: object, default: bool) -> bool:
    """QSettings gives strings back from INI files."""
    if value is None:
        return default
    return value in (True, "true", "True", "1", 1)


def _strength(value: object) -> float | None:
    try:
        return None if value in (None, "auto") else min(max(float(str(value)), 0.0), 8.0)
    except ValueError:
        return None


def _target(value: object, default: float) -> float:
    try:
        return default if value is None else min(max(float(str(value)), 0.05), 0.95)
    except ValueError:
        return default


def _enum(kind, value: object, default):
    try:
        return kind(str(value))
    except ValueError:
        return default


def load_settings(store: QSettings) -> AppSettings:
    """The remembered settings; anything missing or unreadable keeps its default."""
    d = AppSettings()
    model = store.value("model")
    fmt = str(store.value("output/format", d.output.format))
    geometry = store.value("window/geometry")
    o = d.output
    try:
        quality = min(max(int(str(store.value("output/quality", o.quality))), 1), 100)
    except ValueError:
        quality = o.quality
    try:
        long_edge = int(str(store.value("output/long_edge", 0)))
    except ValueError:
        long_edge = 0
    suffix = str(store.value("output/suffix", o.suffix))
    template = str(store.value("output/name", o.name_template))
    folder = str(store.value("output/folder", ""))
    default_rule = FolderRule.CHOSEN if folder else FolderRule.SIBLING  # earlier versions
    output = replace(
        o,
        suffix=suffix if not any(c in suffix for c in "/\\\0") else o.suffix,
        format=fmt if fmt == "same" or fmt in OUTPUT_FORMATS else o.format,
        quality=quality,
        keep_metadata=_bool(store.value("output/metadata"), o.keep_metadata),
        mirror=_bool(store.value("output/mirror"), o.mirror),
        name_template=o.name_template if template_problem(template) else template,
        long_edge=long_edge if long_edge > 0 else None,
        unchanged=_enum(Unchanged, store.value("output/unchanged", o.unchanged.value), o.unchanged),
    )
    return AppSettings(
        output=output,
        folder_rule=_enum(FolderRule, store.value("output/rule", default_rule.value), default_rule),
        output_folder=folder,
        recursive=_bool(store.value("queue/recursive"), d.recursive),
        strength=_strength(store.value("strength", "auto")),
        denoise=_enum(Denoise, store.value("denoise", d.denoise.value), d.denoise),
        target_brightness=_target(store.value("target_brightness"), d.target_brightness),
        protect_highlights=_bool(store.value("protect_highlights"), d.protect_highlights),
        correct_cast=_bool(store.value("correct_cast"), d.correct_cast),
        view_mode=_enum(ViewMode, store.value("view/mode", d.view_mode.value), d.view_mode),
        device=str(store.value("device", d.device)),
        model=Path(str(model)) if model and Path(str(model)).is_file() else None,
        input_dir=Path(str(store.value("dirs/input", d.input_dir))),
        model_dir=Path(str(store.value("dirs/model", d.model_dir))),
        geometry=geometry if isinstance(geometry, QByteArray) else None,
        watch_folder=Path(str(watched)) if (watched := store.value("watch/folder")) else None,
    )


def save_settings(store: QSettings, s: AppSettings) -> None:
    o = s.output
    store.setValue("output/folder", s.output_folder)
    store.setValue("output/rule", s.folder_rule.value)
    store.setValue("output/suffix", o.suffix)
    store.setValue("output/format", o.format)
    store.setValue("output/quality", o.quality)
    store.setValue("output/metadata", o.keep_metadata)
    store.setValue("output/mirror", o.mirror)
    store.setValue("output/name", o.name_template)
    store.setValue("output/long_edge", o.long_edge or 0)
    store.setValue("output/unchanged", o.unchanged.value)
    store.setValue("queue/recursive", s.recursive)
    store.setValue("strength", "auto" if s.strength is None else s.strength)
    store.setValue("denoise", s.denoise.value)
    store.setValue("target_brightness", s.target_brightness)
    store.setValue("protect_highlights", s.protect_highlights)
    store.setValue("correct_cast", s.correct_cast)
    store.setValue("view/mode", s.view_mode.value)
    store.setValue("device", s.device)
    store.setValue("model", str(s.model) if s.model else "")
    store.setValue("dirs/input", str(s.input_dir))
    store.setValue("dirs/model", str(s.model_dir))
    store.setValue("watch/folder", str(s.watch_folder) if s.watch_folder else "")
    if s.geometry is not None:
        store.setValue("window/geometry", s.geometry)
    store.remove("output/overwrite")  # remembered by earlier versions: never again
    store.sync()
