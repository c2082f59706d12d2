"""Model names and text safe for a terminal.

One rule for model names (:func:`check_model_name`) serves the command line, the app, imports,
renames and exports: a name becomes a file name in the model folder, so it must stay there.
:func:`printable` escapes control characters before a name or a metadata value reaches a
terminal.
"""

from __future__ import annotations

import unicodedata

from zdce_core.errors import ModelFileError

# -- text safe for a terminal -------------------------------------------------------------------

_BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e") | {
    chr(c) for c in range(0x2066, 0x206A)
}


def _escape(char: str) -> str:
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # an undecodable byte of a file name (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters escaped as ``\\x1b``, ``\\u202e``: the C0 and C1
    controls and DEL, bidirectional overrides, line separators and lone surrogates (the
    undecodable bytes of a file name). What remains cannot move the cursor, clear the
    terminal, reorder what follows or fail to encode."""
    return "".join(
        _escape(c) if unicodedata.category(c) in ("Cc", "Cs") or c in _BIDI_CONTROLS else c
        for c in text
    )


# -- model names --------------------------------------------------------------------------------

MAX_NAME_CHARS = 100
MAX_NAME_BYTES = 200
"""A name's UTF-8 bytes: with the extension and the folder's temporaries it stays well within
the 255-byte limit of file systems."""
NAME_PUNCTUATION = "-_.,()+"
MODEL_NAME_RULE = (
    f"a model name has 1 to {MAX_NAME_CHARS} letters, digits, spaces and "
    f"{' '.join(NAME_PUNCTUATION)}, and does not start with a dot or hold '..'"
)
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{p}{i}" for p in ("COM", "LPT") for i in range(1, 10)]
)
"""Device names Windows refuses as file names (with any extension)."""


def _name_problem(name: str) -> str | None:
    """Why ``name`` (stripped, NFC) cannot be a model name, or ``None`` when it can."""
    if not name:
        return "it is empty"
    if len(name) > MAX_NAME_CHARS:
        return f"it is {len(name)} characters long"
    size = len(name.encode("utf-8", "surrogatepass"))
    if size > MAX_NAME_BYTES:
        return f"it is too long for a file name ({size} bytes in UTF-8, at most {MAX_NAME_BYTES})"
    for c in name:
        if not (c == " " or c in NAME_PUNCTUATION or unicodedata.category(c)[0] in "LMN"):
            what = "a path separator" if c in "/\\" else "the character"
            return f"it holds {what} '{printable(c)}'"
    if name.startswith("."):
        return "it starts with a dot"
    if ".." in name:
        return "it holds '..'"
    if name.split(".")[0].upper().rstrip() in WINDOWS_RESERVED:
        return f"{name.split('.')[0]!r} is a device name on Windows"
    return None


def _shown_name(name: str) -> str:
    """``name`` quoted for a message: control characters escaped, a long one cut."""
    return "'" + printable(name if len(name) <= 40 else name[:40] + "…") + "'"


def check_model_name(name: str) -> str:
    """``name`` without spaces at its ends and in composed Unicode form (NFC), if usable as a
    model name (see :data:`MODEL_NAME_RULE`); raises :class:`ModelFileError` (a
    ``ValueError``) whose message says why not and which names are allowed."""
    cleaned = unicodedata.normalize("NFC", name.strip())
    problem = _name_problem(cleaned)
    if problem:
        raise ModelFileError(
            f"{_shown_name(cleaned)} is not a usable model name ({problem}): {MODEL_NAME_RULE}"
        )
    return cleaned
