"""Output file names from a template, as in a photo editor's export dialog.

A template such as ``{name}{suffix}`` (the default: ``a.jpg`` → ``a_enhanced.jpg``) or
``{date}_{name}_{model}_{strength}`` names each output; the extension is added by the output
format. Fields: ``{name}`` (the input's name without its extension: every template holds it,
so that photos keep telling apart), ``{suffix}``, ``{model}`` (the model's name),
``{strength}`` (the batch strength: ``auto`` or e.g. ``4.0``) and ``{date}`` (the day of the
export, ``2026-12-02``). A template with a path separator, a character file systems refuse or
an unknown field is refused with one line (:func:`template_problem`).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

DEFAULT_NAME_TEMPLATE = "{name}{suffix}"
TEMPLATE_FIELDS = ("name", "suffix", "model", "strength", "date")
UNSAFE_CHARACTERS = '/\\:*?"<>|'
"""Path separators and the characters Windows refuses in a file name."""
_FIELDS_TEXT = ", ".join(f"{{{f}}}" for f in TEMPLATE_FIELDS)


@dataclass(frozen=True)
class NameFields:
    """The values of a template's fields other than ``{name}``, the same for a whole run."""

    suffix: str
    model: str
    strength: str
    date: str


def _unsafe_in(text: str) -> list[str]:
    return sorted({c for c in text if c in UNSAFE_CHARACTERS or ord(c) < 32 or ord(c) == 127})


def _shown(chars: list[str]) -> str:
    return " ".join(c if c.isprintable() else repr(c) for c in chars)


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot name output files (one line), or ``None`` when it can."""
    head = f"the file-name template {template!r}"
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        return f"{head} is not valid ({exc}); write fields as {_FIELDS_TEXT}"
    fields = [field for _text, field, _spec, _conv in parsed if field is not None]
    for _text, field, spec, conversion in parsed:
        if field is not None and field not in TEMPLATE_FIELDS:
            return f"{head} has an unknown field {{{field}}}; use {_FIELDS_TEXT}"
        if field is not None and (spec or conversion):
            return f"{head}: {{{field}}} takes no format; use {_FIELDS_TEXT} as they are"
    unsafe = _unsafe_in("".join(text for text, _f, _s, _c in parsed))
    if unsafe:
        return (
            f"{head} may not contain {_shown(unsafe)}: it names a file, not a folder "
            "(choose the folder as the output folder)"
        )
    if "name" not in fields:
        return f"{head} must hold {{name}}, so that every photo keeps its own output name"
    if template.startswith("."):
        return f"{head} may not start with a dot (the outputs would be hidden files)"
    return None


def _safe(value: str) -> str:
    """``value`` with the characters a file name may not hold replaced by ``_``."""
    return "".join("_" if c in UNSAFE_CHARACTERS or ord(c) < 32 else c for c in value)


def render_stem(template: str, name: str, fields: NameFields) -> str:
    """The output's file name without its extension: ``template`` filled in for the input
    whose name (without extension) is ``name``."""
    return template.format(
        name=name,
        suffix=fields.suffix,
        model=_safe(fields.model),
        strength=fields.strength,
        date=fields.date,
    )


def _field_pattern(values: dict[str, str | None], field: str | None) -> str:
    if field is None:
        return ""
    value = values[field]
    return ".+" if value is None else re.escape(value)


def is_rendered_name(template: str, stem: str, fields: NameFields) -> bool:
    """Whether ``stem`` looks like an output name of ``template`` with ``fields`` (an earlier
    result): never for a template that adds nothing to ``{name}``."""
    if not render_stem(template, "", fields):
        return False
    values: dict[str, str | None] = {
        "suffix": fields.suffix,
        "model": _safe(fields.model),
        "strength": fields.strength,
        "date": fields.date,
    }
    values["name"] = None
    pattern = "".join(
        re.escape(text) + _field_pattern(values, field)
        for text, field, _spec, _conv in string.Formatter().parse(template)
    )
    return re.fullmatch(pattern, stem) is not None
