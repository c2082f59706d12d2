"""What the app remembers between sessions, typed, read from and written to ``QSettings``.

"Overwrite existing outputs" is deliberately not remembered: a dangerous choice starts
unticked in every session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Denoise
from zdce_core.outputs import DEFAULT_SUFFIX, OUTPUT_FORMATS
from zdce_gui.compare_view import ViewMode


@dataclass
class AppSettings:
    """``strength``: the batch strength, ``None`` for auto exposure; ``output_folder``: empty
    for "beside each input"; ``model``: the chosen model file, ``None`` for the default."""

    output_folder: str = ""
    suffix: str = DEFAULT_SUFFIX
    format: str = "same"
    quality: int = 95
    keep_metadata: bool = True
    mirror: bool = True
    recursive: bool = True
    strength: float | None = None
    denoise: Denoise = DEFAULT_ADJUSTMENTS.denoise
    view_mode: ViewMode = ViewMode.SPLIT
    device: str = "auto"
    model: Path | None = None
    input_dir: Path = field(default_factory=Path.home)
    model_dir: Path = field(default_factory=Path.home)
    geometry: QByteArray | None = None


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


def _enum(kind, value: object, default):
    try:
        return kind(str(value))
    except ValueError:
        return default


def load_settings(store: QSettings) -> AppSettings:
    """The remembered settings; anything missing or unreadable keeps its default."""
    d = AppSettings()
    model = store.value("model")
    fmt = str(store.value("output/format", d.format))
    geometry = store.value("window/geometry")
    try:
        quality = min(max(int(str(store.value("output/quality", d.quality))), 1), 100)
    except ValueError:
        quality = d.quality
    return AppSettings(
        output_folder=str(store.value("output/folder", "")),
        suffix=str(store.value("output/suffix", d.suffix)),
        format=fmt if fmt == "same" or fmt in OUTPUT_FORMATS else d.format,
        quality=quality,
        keep_metadata=_bool(store.value("output/metadata"), d.keep_metadata),
        mirror=_bool(store.value("output/mirror"), d.mirror),
        recursive=_bool(store.value("queue/recursive"), d.recursive),
        strength=_strength(store.value("strength", "auto")),
        denoise=_enum(Denoise, store.value("denoise", d.denoise.value), d.denoise),
        view_mode=_enum(ViewMode, store.value("view/mode", d.view_mode.value), d.view_mode),
        device=str(store.value("device", d.device)),
        model=Path(str(model)) if model and Path(str(model)).is_file() else None,
        input_dir=Path(str(store.value("dirs/input", d.input_dir))),
        model_dir=Path(str(store.value("dirs/model", d.model_dir))),
        geometry=geometry if isinstance(geometry, QByteArray) else None,
    )


def save_settings(store: QSettings, s: AppSettings) -> None:
    store.setValue("output/folder", s.output_folder)
    store.setValue("output/suffix", s.suffix)
    store.setValue("output/format", s.format)
    store.setValue("output/quality", s.quality)
    store.setValue("output/metadata", s.keep_metadata)
    store.setValue("output/mirror", s.mirror)
    store.setValue("queue/recursive", s.recursive)
    store.setValue("strength", "auto" if s.strength is None else s.strength)
    store.setValue("denoise", s.denoise.value)
    store.setValue("view/mode", s.view_mode.value)
    store.setValue("device", s.device)
    store.setValue("model", str(s.model) if s.model else "")
    store.setValue("dirs/input", str(s.input_dir))
    store.setValue("dirs/model", str(s.model_dir))
    if s.geometry is not None:
        store.setValue("window/geometry", s.geometry)
    store.remove("output/overwrite")  # remembered by earlier versions: never again
    store.sync()
