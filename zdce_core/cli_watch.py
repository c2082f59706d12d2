"""``zdce watch``: a hot folder on the command line. Photos dropped, copied, synced or moved
into a folder are enhanced into another as they arrive, once each, until Ctrl+C.

A stop signal (Ctrl+C, SIGTERM, SIGHUP) while waiting ends the watch at once; one while a
photo is enhanced lets that photo finish (its output whole, no temporary left). Either way
the exit code is 128 + the signal, as for ``zdce enhance``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, Adjustments
from zdce_core.cli_common import (
    EXIT_OK,
    EXIT_USAGE,
    KEEP_CAST,
    StopSignals,
    UsageError,
    add_adjustment_options,
    add_model_options,
    adjustments_from_args,
    interrupted_exit_code,
)
from zdce_core.cli_export import add_export_options, export_options_from_args, preset_from_args
from zdce_core.discovery import FoundFile
from zdce_core.errors import WeightsError
from zdce_core.outputs import (
    FolderRule,
    OutputOptions,
    PlanError,
    check_output_folder,
    sibling_output_folder,
)
from zdce_core.watch import DEFAULT_SETTLE_S, output_folder_problem, parse_duration


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_watch_parser(sub: argparse._SubParsersAction) -> None:
    """Register ``zdce watch`` (the export and look options are ``zdce enhance``'s)."""
    p = sub.add_parser(
        "watch",
        help="enhance photos as they arrive in a folder (a hot folder), until Ctrl+C",
        description="Watch FOLDER and enhance each photo that arrives in it (copied, saved, "
        "synced or moved in) once it is complete, into the output folder. Each content is "
        "enhanced once, also across restarts (a record is kept in the output folder's "
        ".zdce-watch.jsonl); a photo overwritten with new content is enhanced again.",
    )
    p.add_argument("folder", help="the folder to watch")
    p.add_argument("-r", "--recursive", action="store_true", help="watch subfolders too")
    p.add_argument(
        "--after",
        type=_duration,
        default=DEFAULT_SETTLE_S,
        metavar="TIME",
        help="a photo is taken once its size and time stayed the same this long "
        f"(2s, 500ms; default {DEFAULT_SETTLE_S:g}s)",
    )
    p.add_argument(
        "--process-existing",
        action="store_true",
        help="also enhance the photos already in the folder (those not enhanced before)",
    )
    p.add_argument(
        "--poll",
        action="store_true",
        help="look for changes every second instead of waiting for file-system events "
        "(network folders, where no events arrive)",
    )
    add_export_options(p)
    add_adjustment_options(p)
    add_model_options(p)
    p.add_argument("-q", "--quiet", action="store_true", help="only failures and the end")
    p.set_defaults(func=cmd_watch)


def _plan(args: argparse.Namespace) -> tuple[Path, OutputOptions, Adjustments]:
    """The watched folder, output options and adjustments the arguments ask for; raises
    :class:`UsageError` (a missing folder, an output inside what is watched…)."""
    watched = Path(args.folder).expanduser()
    if not watched.is_dir():
        raise UsageError(f"{watched} is not a folder")
    watched = watched.resolve()
    preset = preset_from_args(args)
    adjustments = adjustments_from_args(args, preset.adjustments if preset else DEFAULT_ADJUSTMENTS)
    strength = "auto" if adjustments.strength is None else f"{adjustments.strength:.1f}"
    model = ""
    if "{model}" in (args.name or (preset.name_template if preset else "")):
        from zdce_core.model_store import resolve_model

        try:
            model = resolve_model(args.model).stem
        except WeightsError as exc:
            raise UsageError(str(exc)) from exc
    opts, rule = export_options_from_args(args, preset, model, strength)
    if rule is FolderRule.BESIDE:
        raise UsageError("a watch writes into another folder: name it with -o DIR")
    if rule is FolderRule.SIBLING:
        opts = replace(opts, folder=sibling_output_folder(FoundFile(watched / "_", watched)))
    opts = replace(opts, folder=opts.folder.resolve())
    problem = output_folder_problem(watched, opts.folder, args.recursive)
    if problem:
        raise UsageError(problem)
    try:
        check_output_folder(opts.folder)
    except PlanError as exc:
        raise UsageError(str(exc)) from exc
    return watched, opts, adjustments


def cmd_watch(args: argparse.Namespace) -> int:
    """Run the watch until a stop signal; see the module's docstring."""
    watched, opts, adjustments = _plan(args)  # before the heavy imports: usage errors are fast
    from zdce_core.batch import process_one
    from zdce_core.batch_events import ItemFinished, ItemStatus, SkipKind
    from zdce_core.enhancer import Enhancer
    from zdce_core.hot_folder import HotFolder
    from zdce_core.model_store import open_model
    from zdce_core.watch import Verdict

    try:
        enhancer = Enhancer(open_model(args.model), args.device, args.estimate_size)
    except (WeightsError, ValueError) as exc:  # a bad --model or --device
        print(f"zdce: {exc}", file=sys.stderr)
        return EXIT_USAGE

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    def process(found: FoundFile, out: Path, item_opts: OutputOptions) -> ItemFinished:
        inputs = frozenset({found.path.resolve()})
        return process_one(found, out, enhancer, item_opts, adjustments, inputs)

    hot = HotFolder(watched, opts, args.recursive, args.after)
    counts = dict.fromkeys(ItemStatus, 0)
    stop: StopSignals = args.stop
    code = EXIT_OK
    try:
        how = hot.start(poll=args.poll)
        if args.process_existing:
            hot.add_existing()
        say(f"zdce: watching {watched} -> {opts.folder} ({how}); Ctrl+C stops")
        while stop.signum is None:
            ready = hot.wait()
            with stop.cancellable() as cancel:
                for path in ready:
                    if cancel():
                        break
                    verdict, item = hot.handle(path, process)
                    if item is None:
                        continue
                    counts[item.status] += 1
                    if item.status is ItemStatus.FAILED:
                        say(f"failed {item.path}: {item.reason}")
                    elif item.status is ItemStatus.SKIPPED:
                        hint = (
                            " (use --overwrite to replace it)"
                            if item.skip in (SkipKind.OUTPUT_EXISTS, SkipKind.OUTPUT_APPEARED)
                            else ""
                        )
                        say(f"skipped {item.path}: {item.reason}{hint}")
                    elif not args.quiet:
                        again = " (new content)" if verdict is Verdict.CHANGED else ""
                        note = f"; {item.notes(KEEP_CAST)}" if item.reason else ""
                        say(f"done {item.path} -> {item.output}{again}{note}")
        code = stop.exit_code
    except KeyboardInterrupt as exc:  # a stop signal while waiting: nothing in hand
        code = interrupted_exit_code(exc)
    finally:
        hot.stop()
    say(
        f"zdce: watch stopped: {counts[ItemStatus.DONE]} enhanced, "
        f"{counts[ItemStatus.SKIPPED]} skipped, {counts[ItemStatus.FAILED]} failed; "
        f"finished outputs are kept in {opts.folder}, none is half-written"
    )
    return code
