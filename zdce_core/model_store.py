"""The bundled default model and the user's models: listed and resolved by name or path;
imported, exported, renamed and deleted (every write atomic). Torch is imported only to
check a model that is being imported."""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from zdce_core.atomic import atomic_path, remove_stale_temporaries
from zdce_core.errors import ModelFileError, WeightsError
from zdce_core.resources import resource_path, user_data_dir

if TYPE_CHECKING:
    from zdce_core.weights import LoadedModel

DEFAULT_MODEL_NAME = "default"
MODEL_SUFFIXES = (".safetensors", ".pth", ".pt")


class NoDefaultModelError(WeightsError):
    """The bundled default model is missing (not trained or not installed yet)."""


def read_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata of a ``.safetensors`` file without loading its tensors."""
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        if not 0 < header_len < 100_000_000:
            raise WeightsError("not a safetensors file")
        header = json.loads(f.read(header_len))
    return dict(header.get("__metadata__") or {})


class ModelSource(Enum):
    """Where a model comes from: shipped with the app (read-only) or the user's own."""

    BUNDLED = "bundled"
    USER = "user"


@dataclass(frozen=True)
class ModelEntry:
    """A model file the app knows."""

    name: str
    path: Path
    source: ModelSource

    @property
    def label(self) -> str:
        """How lists show it: ``"default"``, ``"night (yours)"``."""
        return self.name if self.source is ModelSource.BUNDLED else f"{self.name} (yours)"

    def metadata(self) -> dict[str, str]:
        """The file's metadata (empty for ``.pth`` or an unreadable file)."""
        if self.path.suffix != ".safetensors":
            return {}
        try:
            return read_metadata(self.path)
        except (OSError, ValueError):
            return {}


def bundled_models_dir() -> Path:
    return resource_path("models")


def user_models_dir() -> Path:
    return user_data_dir() / "models"


def _entries(folder: Path, source: ModelSource) -> list[ModelEntry]:
    if not folder.is_dir():
        return []
    return [
        ModelEntry(p.stem, p, source)
        for p in sorted(folder.iterdir())
        if p.suffix.lower() in MODEL_SUFFIXES and not p.name.startswith(".")
    ]


def list_models() -> list[ModelEntry]:
    """Bundled models first, then the user's, each sorted by name."""
    return _entries(bundled_models_dir(), ModelSource.BUNDLED) + _entries(
        user_models_dir(), ModelSource.USER
    )


def resolve_model(spec: str | os.PathLike[str] | None) -> Path:
    """The file for ``spec``: an existing path, a user model name, or a bundled model name.

    ``None`` or ``"default"`` means the bundled default model. Raises
    :class:`NoDefaultModelError` when that is missing and ``WeightsError`` for an unknown name.
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
    raise WeightsError(f"{spec}: no such model file or model name (see `zdce models`)")


def open_model(spec: str | os.PathLike[str] | None) -> LoadedModel:
    """Resolve ``spec`` (see :func:`resolve_model`) and load it."""
    from zdce_core.weights import load_model  # torch: not needed to list models

    return load_model(resolve_model(spec))


def _user_entry(name: str) -> ModelEntry:
    for entry in list_models():
        if entry.source is ModelSource.USER and entry.name == name:
            return entry
    raise WeightsError(f"{name}: no such user model (bundled models cannot be changed)")


def check_model_name(name: str) -> str:
    """``name`` stripped, if usable as a file name; raises :class:`ModelFileError`
    (a ``ValueError``) otherwise."""
    name = name.strip()
    if not name or name.startswith(".") or any(c in name for c in '/\\:*?"<>|\0'):
        raise ModelFileError(f"{name!r} is not a usable model name")
    return name


def rename_model(name: str, new_name: str) -> Path:
    """Rename a user model (its file keeps its extension); returns the new path."""
    entry = _user_entry(name)
    new_name = check_model_name(new_name)
    target = entry.path.with_name(new_name + entry.path.suffix)
    if target.exists():
        raise ModelFileError(f"a model named {new_name!r} exists already")
    try:
        return entry.path.rename(target)
    except OSError as exc:
        raise ModelFileError(f"cannot rename {entry.path.name}: {exc.strerror or exc}") from exc


def delete_model(name: str) -> None:
    """Delete a user model file."""
    entry = _user_entry(name)
    try:
        entry.path.unlink()
    except OSError as exc:
        raise ModelFileError(f"cannot delete {entry.path.name}: {exc.strerror or exc}") from exc


def import_model(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` loads as a model, then copy it into the user model folder
    (atomically; an existing model of that name is not replaced). Returns the new path.
    Raises ``WeightsError`` for a broken model and :class:`ModelFileError` for a name clash
    or a folder that cannot be written. Temporaries left there by a killed import or training
    are removed first."""
    from zdce_core.weights import load_model

    source = Path(path)
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
    temporaries a killed export left in that folder are removed first."""
    target = Path(target)
    if target.suffix.lower() != entry.path.suffix.lower():
        target = target.with_name(target.name + entry.path.suffix)
    remove_stale_temporaries(target.parent)
    try:
        with atomic_path(target) as tmp:
            shutil.copyfile(entry.path, tmp)
    except OSError as exc:
        raise ModelFileError(f"cannot write {target}: {exc.strerror or exc}") from exc
    return target
