"""Presets: named settings (the look of a result and how it is exported), the one definition
both front ends use.

A few are built in (:data:`BUILTIN_PRESETS`); the user's are small JSON files in the
``presets`` folder beside the user's models (:func:`user_presets_dir`), written atomically.
A preset file that cannot be read is reported (:class:`PresetProblem`) and ignored, never
fatal. Every key of a file is optional (a missing one keeps the default), so a file written
by hand may hold only what it changes.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments, Denoise
from zdce_core.atomic import TargetExists, atomic_path
from zdce_core.errors import UserFacingError
from zdce_core.model_names import WINDOWS_RESERVED
from zdce_core.output_names import DEFAULT_NAME_TEMPLATE
from zdce_core.outputs import FolderRule, OutputOptions, PlanError, Unchanged
from zdce_core.resources import user_data_dir

PRESET_SUFFIX = ".json"
MAX_PRESET_NAME_CHARS = 60
_PRESET_PUNCTUATION = "-_.,()+'—–&"
PRESET_NAME_RULE = (
    f"a preset name has 1 to {MAX_PRESET_NAME_CHARS} letters, digits, spaces and "
    f"{' '.join(_PRESET_PUNCTUATION)}, and does not start with a dot"
)


class PresetError(UserFacingError, ValueError):
    """A preset that cannot be used, saved or read; the message says why in one line."""


class PresetExists(PresetError):
    """A user preset of that name exists and was not to be replaced."""


def check_preset_name(name: str) -> str:
    """``name`` stripped and in composed Unicode form (NFC) if usable as a preset name (it
    becomes a file name); raises :class:`PresetError` saying why not (:data:`PRESET_NAME_RULE`)."""
    cleaned = unicodedata.normalize("NFC", name.strip())
    ok = (
        0 < len(cleaned) <= MAX_PRESET_NAME_CHARS
        and all(c.isalnum() or c == " " or c in _PRESET_PUNCTUATION for c in cleaned)
        and not cleaned.startswith(".")
        and cleaned.split(".")[0].upper() not in WINDOWS_RESERVED
    )
    if not ok:
        raise PresetError(f"{cleaned!r} is not a usable preset name: {PRESET_NAME_RULE}")
    return cleaned


@dataclass(frozen=True)
class Preset:
    """Named settings: ``adjustments`` (Auto or a strength, target brightness, denoise,
    highlight protection) and the export choices (format, quality, name template, where the
    outputs go, long edge, photos that need no change). ``folder``: the chosen folder, used
    when ``folder_rule`` is :attr:`FolderRule.CHOSEN`. Raises :class:`PresetError` for
    values that cannot work."""

    name: str
    adjustments: Adjustments = DEFAULT_ADJUSTMENTS
    format: str = "same"
    quality: int = 95
    name_template: str = DEFAULT_NAME_TEMPLATE
    folder_rule: FolderRule = FolderRule.SIBLING
    folder: str = ""
    long_edge: int | None = None
    unchanged: Unchanged = Unchanged.COPY
    builtin: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        try:
            self.output_options(OutputOptions(folder=Path()))
        except PlanError as exc:
            raise PresetError(str(exc)) from None
        if self.folder_rule is FolderRule.CHOSEN and not self.folder:
            raise PresetError("a preset that writes to a chosen folder must name the folder")

    def output_options(self, base: OutputOptions) -> OutputOptions:
        """``base`` with this preset's export choices (the folder is :meth:`folder_for`'s)."""
        return replace(
            base,
            format=self.format,
            quality=self.quality,
            name_template=self.name_template,
            long_edge=self.long_edge,
            unchanged=self.unchanged,
        )

    def summary(self) -> str:
        """The settings in one line: ``strength auto, target 0.50, denoise low, …``."""
        a = self.adjustments
        strength = "auto" if a.strength is None else f"{a.strength:.1f}"
        where = {
            FolderRule.SIBLING: "<folder>-enhanced",
            FolderRule.BESIDE: "beside each original",
            FolderRule.CHOSEN: self.folder,
        }[self.folder_rule]
        edge = "full size" if self.long_edge is None else f"{self.long_edge} px"
        return (
            f"strength {strength}, target {a.target_brightness:.2f}, denoise {a.denoise.value}, "
            f"highlights {'protected' if a.protect_highlights else 'unprotected'}, "
            f"colour casts {'corrected' if a.correct_cast else 'kept'}, "
            f"format {self.format}, quality {self.quality}, name {self.name_template}, "
            f"output {where}, long edge {edge}, unchanged photos: {self.unchanged.value}"
        )

    def to_json(self) -> dict[str, Any]:
        a = self.adjustments
        return {
            "strength": "auto" if a.strength is None else a.strength,
            "target_brightness": a.target_brightness,
            "denoise": a.denoise.value,
            "highlight_protection": a.protect_highlights,
            "cast_correction": a.correct_cast,
            "format": self.format,
            "quality": self.quality,
            "name_template": self.name_template,
            "folder_rule": self.folder_rule.value,
            "folder": self.folder,
            "long_edge": self.long_edge,
            "unchanged": self.unchanged.value,
        }

    @classmethod
    def from_json(cls, name: str, data: object) -> Preset:
        """The preset ``name`` from a file's parsed JSON; :class:`PresetError` when a value
        is of the wrong kind or out of range."""
        if not isinstance(data, dict):
            raise PresetError("not a JSON object of settings")
        d = DEFAULT_PRESET
        a = d.adjustments
        try:
            strength = data.get("strength", "auto")
            adjustments = Adjustments(
                strength=None if strength == "auto" else _number(strength, "strength"),
                target_brightness=_number(
                    data.get("target_brightness", a.target_brightness), "target_brightness"
                ),
                denoise=Denoise(data.get("denoise", a.denoise.value)),
                protect_highlights=_flag(
                    data.get("highlight_protection", a.protect_highlights), "highlight_protection"
                ),
                correct_cast=_flag(data.get("cast_correction", a.correct_cast), "cast_correction"),
            )
            long_edge = data.get("long_edge")
            return cls(
                name=name,
                adjustments=adjustments,
                format=str(data.get("format", d.format)),
                quality=int(_number(data.get("quality", d.quality), "quality")),
                name_template=str(data.get("name_template", d.name_template)),
                folder_rule=FolderRule(data.get("folder_rule", d.folder_rule.value)),
                folder=str(data.get("folder", d.folder)),
                long_edge=None if long_edge is None else int(_number(long_edge, "long_edge")),
                unchanged=Unchanged(data.get("unchanged", d.unchanged.value)),
            )
        except PresetError:
            raise
        except ValueError as exc:  # a bad enum value or a range check of Adjustments
            raise PresetError(str(exc)) from None


def _number(value: object, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PresetError(f"{key} must be a number, not {value!r}")
    return float(value)


def _flag(value: object, key: str) -> bool:
    if not isinstance(value, bool):
        raise PresetError(f"{key} must be true or false, not {value!r}")
    return value


DEFAULT_PRESET = Preset("Natural", builtin=True)
"""The app's and the CLI's defaults: auto exposure towards mid brightness, low denoise,
highlights protected, outputs named ``<name>_enhanced`` in ``<folder>-enhanced``."""

BUILTIN_PRESETS: tuple[Preset, ...] = (
    DEFAULT_PRESET,
    Preset(
        "Night — keep it dark",
        Adjustments(target_brightness=0.3, denoise=Denoise.MEDIUM),
        builtin=True,
    ),
    Preset(
        "Bright interior",
        Adjustments(target_brightness=0.62, denoise=Denoise.LOW),
        builtin=True,
    ),
)
"""Night aims lower (a night photo stays a night photo; more denoise for its deep shadows);
Bright interior aims higher with highlights (lamps, windows) protected."""


def user_presets_dir() -> Path:
    """The user's presets: ``presets/`` beside the user's ``models/`` folder."""
    return user_data_dir() / "presets"


@dataclass(frozen=True)
class PresetProblem:
    """A preset file that was ignored, and why."""

    path: Path
    reason: str

    @property
    def text(self) -> str:
        return f"ignored the preset file {self.path}: {self.reason}"


def read_preset(path: Path) -> Preset:
    """The user preset in ``path`` (named after the file); :class:`PresetError` when it
    cannot be read or holds settings that cannot work."""
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise PresetError(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    return Preset.from_json(path.stem, data)


def list_presets() -> tuple[list[Preset], list[PresetProblem]]:
    """The built-in presets, then the user's sorted by name; and the user's preset files
    that could not be read (ignored). A user file named like a built-in is ignored too."""
    folder = user_presets_dir()
    try:
        paths = sorted(p for p in folder.iterdir() if _is_preset_file(p))
    except OSError:
        paths = []
    builtin = {p.name.casefold() for p in BUILTIN_PRESETS}
    user: list[Preset] = []
    problems: list[PresetProblem] = []
    for path in paths:
        if path.stem.casefold() in builtin:
            problems.append(PresetProblem(path, "a built-in preset has this name"))
            continue
        try:
            user.append(read_preset(path))
        except PresetError as exc:
            problems.append(PresetProblem(path, str(exc)))
    return [*BUILTIN_PRESETS, *user], problems


def _is_preset_file(path: Path) -> bool:
    return path.suffix == PRESET_SUFFIX and not path.name.startswith(".") and path.is_file()


def find_preset(name: str, presets: list[Preset]) -> Preset | None:
    """The preset called ``name`` (exactly, else ignoring case), or ``None``."""
    wanted = unicodedata.normalize("NFC", name.strip())
    exact = next((p for p in presets if p.name == wanted), None)
    return exact or next((p for p in presets if p.name.casefold() == wanted.casefold()), None)


def save_preset(preset: Preset, replace_existing: bool = False) -> Path:
    """Write ``preset`` as the user's (atomically: complete or not at all); returns its
    file. Raises :class:`PresetError` for a built-in's name or an unusable name,
    :class:`PresetExists` when one of that name exists and not ``replace_existing``, and
    ``OSError`` when it cannot be written."""
    name = check_preset_name(preset.name)
    if any(p.name.casefold() == name.casefold() for p in BUILTIN_PRESETS):
        raise PresetError(f"{name!r} is a built-in preset; choose another name")
    folder = user_presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}{PRESET_SUFFIX}"
    text = json.dumps(preset.to_json(), indent=2, ensure_ascii=False) + "\n"
    try:
        with atomic_path(target, replace=replace_existing) as tmp:
            tmp.write_text(text, encoding="utf-8")
    except TargetExists:
        raise PresetExists(f"a preset named {name!r} exists") from None
    return target
