"""Inputs that would be written to the same output file: found while planning, before any
photo is enhanced, and given distinct names, or refused when none can be found.

Two inputs clash when their outputs are the same file: ``a.jpg`` and ``a.png`` written as
JPEG, ``b.bmp`` and ``b.png`` (both become PNG), ``x/p.jpg`` and ``y/p.jpg`` written flat.
Outputs are compared by their resolved folder and, where the output file system ignores case
(or on platforms whose paths do), case-folded. Every input of a clash is named after what
tells it apart: its extension (``a_jpg_enhanced.jpg``), else its folder (``x_p_enhanced.jpg``),
then more folders above it, then folders and extension together. Inputs that clash with
nothing keep their plain names, so adding a photo never renames another's output unless the
two would otherwise share it.
"""

from __future__ import annotations

import os
import sys
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from zdce_core.discovery import FoundFile
from zdce_core.outputs import OutputOptions, PlanError, output_path

Pairs = list[tuple[FoundFile, Path]]


@dataclass(frozen=True)
class Renamed:
    """An input whose output got a distinct name because others would have had the same.

    ``shared``: the output they all would have had; ``others``: the inputs it clashed with.
    """

    path: Path
    output: Path
    shared: Path
    others: tuple[Path, ...]

    @property
    def note(self) -> str:
        """``output named a_png_enhanced.jpg (/in/a.jpg would also be a_enhanced.jpg)``."""
        others = ", ".join(str(p) for p in self.others)
        verb = "would" if len(self.others) == 1 else "would all"
        return f"output named {self.output.name} ({others} {verb} also be {self.shared.name})"


@dataclass(frozen=True)
class _Candidate:
    """One way of telling clashing inputs apart: ``levels`` folders above each input (0:
    none) and, when ``extension``, its file extension."""

    levels: int
    extension: bool


def _candidates(depth: int) -> Iterator[_Candidate]:
    """The extension; then 1, 2, … folders; each level also with the extension."""
    yield _Candidate(0, extension=True)
    for levels in range(1, depth + 1):
        yield _Candidate(levels, extension=False)
        yield _Candidate(levels, extension=True)


def _folders(path: Path) -> tuple[str, ...]:
    """The folder names above ``path``, without its anchor (``/`` or a drive)."""
    parts = path.parent.parts
    return parts[1:] if path.parent.anchor else parts


def _tagged_stem(path: Path, candidate: _Candidate) -> str:
    """``path``'s stem with the folders and extension ``candidate`` asks for:
    ``x_p`` or ``a_jpg``."""
    folders = _folders(path)
    picked = folders[max(0, len(folders) - candidate.levels) :] if candidate.levels else ()
    extension = path.suffix[1:] if candidate.extension else ""
    return "_".join(part for part in (*picked, path.stem, extension) if part)


def _renamed_output(found: FoundFile, opts: OutputOptions, candidate: _Candidate) -> Path:
    """``found``'s output under ``opts`` with the tagged stem standing for ``{name}``."""
    return output_path(found, opts, _tagged_stem(found.path, candidate))


def ignores_case(folder: Path) -> bool:
    """Whether the file system of ``folder`` (or of the nearest existing folder above it)
    treats names that differ only by case as one: tested on that folder's own name, else on
    its first entry with letters in its name; without either, the platform's usual answer
    (Windows and macOS ignore case). Reads, never writes."""
    existing = folder.absolute()
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    for probe in _case_probes(existing):
        try:
            return os.path.samefile(probe, probe.with_name(probe.name.swapcase()))
        except OSError:  # no such name: the file system tells case apart
            return False
    return sys.platform in ("win32", "darwin")


def _has_case(name: str) -> bool:
    return name != name.swapcase()


def _case_probes(folder: Path) -> Iterator[Path]:
    """``folder`` when its name has letters, then its first entry whose name has some."""
    if _has_case(folder.name):
        yield folder
    try:
        with os.scandir(folder) as entries:
            entry = next((e for e in entries if _has_case(e.name)), None)
    except OSError:
        return
    if entry is not None:
        yield Path(entry.path)


class _Comparer:
    """Output paths as comparable keys: the folder resolved (symlinks, ``..``), then
    ``os.path.normcase``, and NFC case-folded where the output file system ignores case."""

    def __init__(self) -> None:
        self._folders: dict[Path, str] = {}
        self._folding: dict[Path, bool] = {}

    def fold(self, opts: OutputOptions) -> bool:
        if opts.folder not in self._folding:
            self._folding[opts.folder] = ignores_case(opts.folder)
        return self._folding[opts.folder]

    def key(self, output: Path, fold: bool) -> str:
        folder = self._folders.get(output.parent)
        if folder is None:
            folder = self._folders[output.parent] = str(output.parent.resolve())
        text = os.path.normcase(os.path.join(folder, output.name))
        return unicodedata.normalize("NFC", text).casefold() if fold else text


@dataclass(eq=False)
class _Planned:
    """One planned input: its group, its output and the output's comparable key (compared
    by identity: two entries may hold the same input)."""

    opts: OutputOptions
    found: FoundFile
    output: Path
    fold: bool
    key: str


def _same_file(a: Path, b: Path) -> bool:
    return a == b or a.resolve() == b.resolve()


def _distinct(members: list[_Planned]) -> list[_Planned]:
    """``members`` without repeats of one input file (the same photo named twice through
    different paths, e.g. ``a.jpg`` and ``x/../a.jpg``): the first is kept."""
    kept: list[_Planned] = []
    for member in members:
        if not any(_same_file(member.found.path, k.found.path) for k in kept):
            kept.append(member)
    return kept


def _rename(
    members: list[_Planned], taken: set[str], comparer: _Comparer
) -> list[tuple[_Planned, Path, str]] | None:
    """Distinct outputs for clashing ``members`` that no other output has (``taken``): the
    first candidate that gives them, or ``None``."""
    depth = max(len(_folders(m.found.path)) for m in members)
    for candidate in _candidates(depth):
        named = []
        for m in members:
            output = _renamed_output(m.found, m.opts, candidate)
            named.append((m, output, comparer.key(output, m.fold)))
        keys = {key for _m, _o, key in named}
        if len(keys) == len(members) and not keys & taken:
            return named
    return None


def _clash_text(output: Path, members: Sequence[_Planned]) -> str:
    return f"{output} from {', '.join(str(m.found.path) for m in members)}"


def give_distinct_outputs(
    groups: Mapping[OutputOptions, Pairs],
) -> tuple[dict[OutputOptions, Pairs], list[Renamed]]:
    """``groups`` (inputs paired with outputs, by output options) where no two inputs share
    an output file, and the inputs that were renamed for it (see the module's docstring).

    The same input file reached through two paths is kept once. Raises :class:`PlanError`
    listing every clash no distinct name could be found for.
    """
    comparer = _Comparer()
    planned = [
        _Planned(opts, found, out, fold, comparer.key(out, fold))
        for opts, pairs in groups.items()
        for fold in (comparer.fold(opts),)
        for found, out in pairs
    ]
    by_key: dict[str, list[_Planned]] = {}
    for item in planned:
        by_key.setdefault(item.key, []).append(item)
    members_of = [_distinct(members) for members in by_key.values()]
    taken = {members[0].key for members in members_of if len(members) == 1}
    outputs: dict[_Planned, Path] = {}
    renamed: list[Renamed] = []
    unresolved: list[str] = []
    for members in (m for m in members_of if len(m) > 1):
        named = _rename(members, taken, comparer)
        if named is None:
            unresolved.append(_clash_text(members[0].output, members))
            continue
        for member, output, key in named:
            taken.add(key)
            outputs[member] = output
            others = tuple(o.found.path for o in members if o is not member)
            renamed.append(Renamed(member.found.path, output, member.output, others))
    if unresolved:
        raise PlanError(
            "inputs that would be written to the same file, and no distinct name was found: "
            + "; ".join(unresolved)
            + " (rename one of each, or send them to different output folders)"
        )
    kept = {member for members in members_of for member in members}
    result: dict[OutputOptions, Pairs] = {}
    for item in planned:
        if item in kept:
            pair = (item.found, outputs.get(item, item.output))
            result.setdefault(item.opts, []).append(pair)
    return result, renamed
