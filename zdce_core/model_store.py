"""The bundled default model and the user's models: listed and resolved by name or path;
imported, exported, renamed and deleted (every write atomic). Torch is imported only to
check a model that is being imported.

The user's model folder may hold anything: a file that is not a model, a named pipe, a header
built to crash a parser, names and metadata with terminal escapes. Listing never opens a file
that is not a regular file (a FIFO would block), reading a header turns every failure into an
"unreadable: reason" state (:class:`ModelInfo`), and
:func:`~zdce_core.model_names.printable` escapes control characters before a name or a
metadata value reaches a terminal. Model names follow one rule,
:func:`~zdce_core.model_names.check_model_name`.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from zdce_core.atomic import atomic_path, remove_stale_temporaries
from zdce_core.errors import ModelFileError, WeightsError
from zdce_core.model_names import check_model_name, printable
from zdce_core.resources import resource_path, user_data_dir

if TYPE_CHECKING:
    from zdce_core.weights import LoadedModel

DEFAULT_MODEL_NAME = "default"
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt")
MAX_HEADER_BYTES = 100_000_000
"""The largest safetensors header read (the safetensors library's own limit)."""


class NoDefaultModelError(WeightsError):
    """The bundled default model is missing (not trained or not installed yet)."""


class UnreadableModelError(WeightsError):
    """A model file whose kind or header cannot be read; the message is the reason alone (the
    caller adds the file's name)."""


# -- reading a model file's kind and header -----------------------------------------------------

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_regular_file(path: str | os.PathLike[str]) -> None:
    """Raise :class:`UnreadableModelError` unless ``path`` (links followed) is a regular
    file. Only ``stat``: the file is not opened."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise UnreadableModelError("missing (a link to nothing?)") from None
    except OSError as exc:
        raise UnreadableModelError(f"cannot look at it ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        raise UnreadableModelError(f"not a file but {_kind(mode)}")


_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_JSON_TYPES: dict[type, str] = {
    list: "a list",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true or false",
    type(None): "null",
}


def _read_header(path: str | os.PathLike[str]) -> bytes:
    """The JSON header's bytes of the safetensors file ``path``, opened without blocking and
    read only when it is a regular file."""
    check_regular_file(path)
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        raise UnreadableModelError(f"cannot open it ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the stat
            raise UnreadableModelError(f"not a file but {_kind(os.fstat(fd).st_mode)}")
        with os.fdopen(fd, "rb", closefd=False) as f:
            start = f.read(8)
            if len(start) < 8:
                raise UnreadableModelError("not a safetensors file (too short)")
            size = int.from_bytes(start, "little")
            if not 2 <= size <= MAX_HEADER_BYTES:
                raise UnreadableModelError("not a safetensors file (impossible header size)")
            header = f.read(size)
    except OSError as exc:
        raise UnreadableModelError(f"cannot read it ({exc.strerror or exc})") from None
    finally:
        os.close(fd)
    if len(header) < size:
        raise UnreadableModelError("the header is cut short (a truncated file?)")
    return header


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata of a ``.safetensors`` file without loading its tensors. Raises
    :class:`UnreadableModelError` (a ``WeightsError``) with the reason for anything else: not
    a regular file (never opened then), a header that is cut short, not UTF-8, not JSON,
    nested too deeply, not a JSON object, or metadata that is not a table of strings."""
    raw = _read_header(path)
    try:
        header = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UnreadableModelError("the header is not UTF-8 text") from None
    except RecursionError:
        raise UnreadableModelError("the header is nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError
        raise UnreadableModelError(f"the header is not valid JSON ({exc})") from None
    if not isinstance(header, dict):
        what = _JSON_TYPES.get(type(header), "not an object")
        raise UnreadableModelError(f"the header is {what}, not a JSON object")
    meta = header.get("__metadata__") or {}
    if not isinstance(meta, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in meta.items()
    ):
        raise UnreadableModelError("its metadata is not a table of text values")
    return dict(meta)


class ModelState(Enum):
    """Whether a model file could be read: a regular file with a well-formed header (for a
    ``.pth`` checkpoint: a regular file), or not."""

    READABLE = "readable"
    UNREADABLE = "unreadable"


@dataclass(frozen=True)
class ModelInfo:
    """What a model file's header says (``metadata``), or why it cannot be read
    (``reason``, with ``state`` :attr:`ModelState.UNREADABLE`)."""

    state: ModelState
    metadata: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    @property
    def readable(self) -> bool:
        return self.state is ModelState.READABLE

    @property
    def status(self) -> str:
        """``""``, or ``"unreadable: REASON"`` as lists show it."""
        return "" if self.readable else f"unreadable: {self.reason}"


class ModelSource(Enum):
    """Where a model comes from: shipped with the app (read-only) or the user's own."""

    BUNDLED = "bundled"
    USER = "user"


@dataclass(frozen=True)
class ModelEntry:
    """A model file the app knows (listing it only looked at its name)."""

    name: str
    path: Path
    source: ModelSource

    @property
    def label(self) -> str:
        """How lists show it: ``"default"``, ``"night (yours)"`` (control characters
        escaped)."""
        name = printable(self.name)
        return name if self.source is ModelSource.BUNDLED else f"{name} (yours)"

    def info(self) -> ModelInfo:
        """Whether the file can be read, and its metadata (empty for a ``.pth`` checkpoint,
        whose header is not read). A file that is not a regular file is never opened."""
        try:
            if self.path.suffix.lower() != ".safetensors":
                check_regular_file(self.path)
                return ModelInfo(ModelState.READABLE)
            return ModelInfo(ModelState.READABLE, read_metadata(self.path))
        except UnreadableModelError as exc:
            return ModelInfo(ModelState.UNREADABLE, reason=str(exc))

    def metadata(self) -> dict[str, str]:
        """The file's metadata (empty for ``.pth`` or an unreadable file)."""
        return self.info().metadata


def bundled_models_dir() -> Path:
    return resource_path("models")


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def _entries(folder: Path, source: ModelSource) -> list[ModelEntry]:
    """The model files in ``folder`` by name alone (nothing is opened)."""
    if not folder.is_dir():
        return []
    try:
        paths = sorted(folder.iterdir())
    except OSError:
        return []
    return [
        ModelEntry(p.stem, p, source)
        for p in paths
        if p.suffix.lower() in MODEL_SUFFIXES and not p.name.startswith(".")
    ]


def list_models() -> list[ModelEntry]:
    """Bundled models first, then the user's, each sorted by name. Unreadable files are
    listed too (see :meth:`ModelEntry.info`): the user can see and delete them."""
    return _entries(bundled_models_dir(), ModelSource.BUNDLED) + _entries(
        user_models_dir(), ModelSource.USER
    )


def resolve_model(spec: str | os.PathLike[str] | None) -> Path:
    """The file for ``spec``: an existing path, a user model name, or a bundled model name.

    ``None`` or ``"default"`` means the bundled default model. Raises
    :class:`NoDefaultModelError` when that is missing and ``WeightsError`` for an unknown name
    or a path that is not a regular file (a folder, a named pipe, a device).
    """
    if spec is None or str(spec) == DEFAULT_MODEL_NAME:
        path = bundled_models_dir() / f"{DEFAULT_MODEL_NAME}.safetensors"
        if not path.is_file():
            raise NoDefaultModelError(
                "no default model is installed yet; pass one with --model "
                "(a .safetensors file of this app, a reference Zero-DCE/Zero-DCE++ .pth "
                "checkpoint, or the name of a model listed by `zdce models`)"
            )
        return path
    candidate = Path(spec).expanduser()
    if candidate.is_file():
        return candidate
    for entry in reversed(list_models()):  # a user model shadows a bundled one
        if entry.name == str(spec):
            return entry.path
    if candidate.exists():
        try:
            check_regular_file(candidate)
        except UnreadableModelError as exc:
            raise WeightsError(f"{printable(str(spec))}: {exc}, not a model file") from None
    raise WeightsError(
        f"{printable(str(spec))}: no such model file or model name (see `zdce models`)"
    )


def open_model(spec: str | os.PathLike[str] | None) -> LoadedModel:
    """Resolve ``spec`` (see :func:`resolve_model`) and load it."""
    from zdce_core.weights import load_model  # torch: not needed to list models

    return load_model(resolve_model(spec))


def _user_entry(model: str | ModelEntry) -> ModelEntry:
    """The user model named ``model``, or ``model`` itself when it is a user model's entry
    (the exact file, when two share a name with different extensions)."""
    if isinstance(model, ModelEntry):
        if model.source is ModelSource.USER and model.path.parent == user_models_dir():
            return model
        raise WeightsError(
            f"{printable(model.name)}: not a user model (bundled models cannot be changed)"
        )
    for entry in list_models():
        if entry.source is ModelSource.USER and entry.name == model:
            return entry
    raise WeightsError(f"{printable(model)}: no such user model (bundled models cannot be changed)")


def rename_model(model: str | ModelEntry, new_name: str) -> Path:
    """Rename a user model (by name or entry; its file keeps its extension); returns the new
    path. Raises :class:`ModelFileError` for a name :func:`check_model_name` refuses, a
    clash, or a file that cannot be renamed."""
    new_name = check_model_name(new_name)
    entry = _user_entry(model)
    target = entry.path.with_name(new_name + entry.path.suffix)
    if target.exists():
        raise ModelFileError(f"a model named {new_name!r} exists already")
    try:
        return entry.path.rename(target)
    except OSError as exc:
        raise ModelFileError(
            f"cannot rename {printable(entry.path.name)}: {exc.strerror or exc}"
        ) from exc


def delete_model(model: str | ModelEntry) -> None:
    """Delete a user model file (by name or entry), readable or not; the file is not opened."""
    entry = _user_entry(model)
    try:
        entry.path.unlink()
    except OSError as exc:
        raise ModelFileError(
            f"cannot delete {printable(entry.path.name)}: {exc.strerror or exc}"
        ) from exc


def import_model(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` loads as a model, then copy it into the user model folder
    (atomically; an existing model of that name is not replaced). Returns the new path.
    Raises ``WeightsError`` for a broken model and :class:`ModelFileError` for a file name
    that is not a usable model name (see :func:`check_model_name`), an extension other than
    ``.safetensors``, ``.pth`` or ``.pt``, a name clash or a folder that cannot be written.
    Temporaries left there by a killed import or training are removed first."""
    from zdce_core.weights import load_model

    source = Path(path)
    if source.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelFileError(
            f"cannot import {printable(source.name)}: a model file ends in "
            f"{', '.join(MODEL_SUFFIXES)}"
        )
    try:
        check_model_name(source.stem)
    except ModelFileError as exc:
        raise ModelFileError(
            f"cannot import {printable(source.name)} under its file name; rename the file "
            f"first: {exc}"
        ) from None
    load_model(source)  # refuses broken, hostile or saturated weights with the reason
    target = user_models_dir() / source.name
    if target.exists():
        if target.resolve() == source.resolve():
            return target
        raise ModelFileError(f"a model named {target.stem!r} exists already; rename one of them")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target.parent)
        with atomic_path(target, replace=False) as tmp:
            shutil.copyfile(source, tmp)
    except OSError as exc:
        raise ModelFileError(f"cannot copy {source.name} into {target.parent}: {exc}") from exc
    return target


def export_model(entry: ModelEntry, target: str | os.PathLike[str]) -> Path:
    """Copy ``entry``'s file to ``target`` (atomically: a half-copied file never appears);
    temporaries a killed export left in that folder are removed first. The exported file's
    name must be a usable model name (:func:`check_model_name`), so that it imports back
    under that name; an unreadable model is not exported."""
    target = Path(target)
    if target.suffix.lower() != entry.path.suffix.lower():
        target = target.with_name(target.name + entry.path.suffix)
    try:
        check_model_name(target.stem)
    except ModelFileError as exc:
        raise ModelFileError(f"cannot export as {printable(target.name)}: {exc}") from None
    info = entry.info()
    if not info.readable:
        raise ModelFileError(f"cannot export {printable(entry.path.name)}: {info.status}")
    remove_stale_temporaries(target.parent)
    try:
        with atomic_path(target) as tmp:
            shutil.copyfile(entry.path, tmp)
    except OSError as exc:
        raise ModelFileError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
