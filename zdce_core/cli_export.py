"""``zdce enhance``'s export options (where outputs go, their names, format, quality, size,
photos that need no change), ``--preset``, and ``zdce presets``.

A preset gives the defaults; an option given on the command line overrides it. Options that
a preset may set default to "not given" (``argparse.SUPPRESS`` or ``None``) for that.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TypeVar

from zdce_core.cli_common import EXIT_OK, UsageError
from zdce_core.outputs import DEFAULT_SUFFIX, FolderRule, OutputOptions, PlanError, Unchanged
from zdce_core.presets import DEFAULT_PRESET, Preset, find_preset, list_presets


def add_export_options(p: argparse.ArgumentParser) -> None:
    """``-o``/``--beside``, ``--name``, ``--format``, ``--quality``, ``--long-edge``,
    ``--unchanged``, ``--suffix``, ``--overwrite``, ``--flat``, ``--strip-metadata`` and
    ``--preset``."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("-o", "--output", help="output folder")
    where.add_argument(
        "--beside",
        action="store_true",
        help="write each output beside its original (named by --name and --suffix)",
    )
    p.add_argument(
        "--preset",
        metavar="NAME",
        help="start from a preset's settings (see `zdce presets`); options given override it",
    )
    p.add_argument(
        "--name",
        metavar="TEMPLATE",
        help="output file names from {name} {suffix} {model} {strength} {date}, without "
        "the extension (default {name}{suffix}: photo_enhanced.jpg)",
    )
    p.add_argument(
        "--format",
        choices=["same", "jpeg", "png", "tiff", "webp"],
        help="output format (default: same as the input)",
    )
    p.add_argument("--quality", type=int, help="JPEG/WebP quality 1-100 (95)")
    p.add_argument(
        "--long-edge",
        type=int,
        metavar="PX",
        help="scale outputs down (Lanczos, after enhancing) so the longer side is PX "
        "pixels; smaller photos are never scaled up",
    )
    p.add_argument(
        "--unchanged",
        choices=[u.value for u in Unchanged],
        help="photos that need no change (auto strength 0): write them anyway, copy the "
        "original byte for byte (default, where the format is kept), or skip them",
    )
    p.add_argument("--suffix", default=DEFAULT_SUFFIX, help="{suffix} of --name (_enhanced)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--flat", action="store_true", help="do not mirror subfolders")
    p.add_argument("--strip-metadata", action="store_true", help="drop EXIF, ICC and XMP")


def preset_from_args(args: argparse.Namespace) -> Preset | None:
    """The ``--preset`` asked for, or ``None``; :class:`UsageError` when there is none of
    that name. Unreadable preset files are told on stderr and ignored."""
    if args.preset is None:
        return None
    presets, problems = list_presets()
    for problem in problems:
        print(f"zdce: {problem.text}", file=sys.stderr)
    preset = find_preset(args.preset, presets)
    if preset is None:
        names = ", ".join(p.name for p in presets)
        raise UsageError(f"no preset named {args.preset!r} (presets: {names}; see zdce presets)")
    return preset


def export_options_from_args(
    args: argparse.Namespace, preset: Preset | None, model: str, strength: str
) -> tuple[OutputOptions, FolderRule]:
    """The output options and folder rule the options (over ``preset``) ask for; the folder
    is the chosen one (``-o`` or the preset's) and only meant for :attr:`FolderRule.CHOSEN`.
    ``model`` and ``strength``: the values of ``{model}`` and ``{strength}``. Raises
    :class:`UsageError` (no output given, a refused name template, a bad value)."""
    if args.output is not None:
        rule, folder = FolderRule.CHOSEN, args.output
    elif args.beside:
        rule, folder = FolderRule.BESIDE, "."
    elif preset is not None:
        rule, folder = preset.folder_rule, preset.folder or "."
    else:
        raise UsageError(
            "name an output folder with -o DIR, or write beside the originals with --beside"
        )
    base = (preset or DEFAULT_PRESET).output_options(OutputOptions(folder=Path()))
    try:
        return OutputOptions(
            folder=Path(folder).expanduser(),
            suffix=args.suffix,
            format=_given(args.format, base.format),
            quality=_given(args.quality, base.quality),
            keep_metadata=not args.strip_metadata,
            overwrite=args.overwrite,
            mirror=not args.flat,
            name_template=_given(args.name, base.name_template),
            long_edge=_given(args.long_edge, base.long_edge),
            unchanged=Unchanged(args.unchanged) if args.unchanged else base.unchanged,
            model=model,
            strength=strength,
        ), rule
    except PlanError as exc:
        raise UsageError(str(exc)) from exc


T = TypeVar("T")


def _given(value: T | None, default: T) -> T:
    return default if value is None else value


def cmd_presets(_args: argparse.Namespace) -> int:
    """``zdce presets``: a line per preset (built-in, then the user's) with its settings;
    preset files that cannot be read are told on stderr and ignored."""
    from zdce_core.model_names import printable

    presets, problems = list_presets()
    for problem in problems:
        print(f"zdce: {printable(problem.text)}", file=sys.stderr)
    width = max(len(p.name) for p in presets)
    for preset in presets:
        source = "built-in" if preset.builtin else "user"
        print(f"{printable(preset.name):{width}s}  {source:8s}  {printable(preset.summary())}")
    return EXIT_OK


def add_presets_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("presets", help="list the built-in and the user's presets")
    p.set_defaults(func=cmd_presets)
