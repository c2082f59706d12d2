"""The ``zdce`` command: enhance photos, list models, train.

Exit codes: 0 success, 1 some file failed (or training stopped on an error), 2 usage error,
128 + the signal when stopped: 130 Ctrl+C (SIGINT), 143 SIGTERM, 129 SIGHUP. A stop signal
during a batch or a training run lets the photo or step in progress end cleanly (finished
outputs kept, no temporary left); one during start-up ends at once; either way with one line.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from zdce_core import __version__
from zdce_core.adjustments import DEFAULT_ADJUSTMENTS, strength_label
from zdce_core.cli_common import (
    EXIT_FAILED,
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
from zdce_core.cli_evaluate import add_evaluate_parser
from zdce_core.cli_export import (
    add_export_options,
    add_presets_parser,
    export_options_from_args,
    preset_from_args,
)
from zdce_core.cli_train import add_train_parser
from zdce_core.cli_watch import add_watch_parser
from zdce_core.errors import WeightsError
from zdce_core.outputs import FolderRule
from zdce_core.textbar import TextBar, format_duration


def cmd_models(args: argparse.Namespace) -> int:
    """``zdce models``: a line per model with its architecture, epochs and date, or
    ``unreadable: REASON`` for a file that is not a usable model (a named pipe is never
    opened). Names, metadata and paths are printed with control characters escaped."""
    from zdce_core.model_names import printable
    from zdce_core.model_store import list_models

    entries = list_models()
    if not entries:
        print("no models installed (the bundled default model is missing)")
        return EXIT_OK
    for entry in entries:
        info = entry.info()
        if not info.readable:
            details = [info.status]
        else:
            meta = info.metadata
            pth = entry.path.suffix.lower() != ".safetensors"
            details = [meta.get("arch", "reference checkpoint" if pth else "?")]
            if "epochs" in meta:
                details.append(f"{meta['epochs']} epochs")
            if "date" in meta:
                details.append(meta["date"])
        name, text = printable(entry.name), printable(", ".join(details))
        print(f"{name:24s} {entry.source.value:8s} {text:40s} {printable(str(entry.path))}")
    return EXIT_OK


def _model_label(spec: str | None) -> str:
    """What ``{model}`` stands for in output names: the model's name (its file's stem)."""
    from zdce_core.model_store import resolve_model

    try:
        return resolve_model(spec).stem
    except WeightsError as exc:
        raise UsageError(str(exc)) from exc


def _where(rule: FolderRule, chosen: Path, folders: list[Path]) -> str:
    """Where the outputs went, for the last line: the chosen folder, "beside the
    originals", or the ``<folder>-enhanced`` folders."""
    if rule is FolderRule.CHOSEN:
        return str(chosen)
    if rule is FolderRule.BESIDE:
        return "beside the originals"
    return ", ".join(sorted(str(f) for f in set(folders))) or "<folder>-enhanced"


def cmd_enhance(args: argparse.Namespace) -> int:
    preset = preset_from_args(args)  # before the heavy imports: usage errors are fast
    adjustments = adjustments_from_args(args, preset.adjustments if preset else DEFAULT_ADJUSTMENTS)
    from zdce_core.discovery import discover
    from zdce_core.raw_io import WhiteBalance
    from zdce_core.read_ahead import start_reading

    strength = "auto" if adjustments.strength is None else f"{adjustments.strength:.1f}"
    wants_model = "{model}" in (args.name or (preset.name_template if preset else ""))
    model_label = _model_label(args.model) if wants_model else ""
    opts, rule = export_options_from_args(args, preset, model_label, strength)
    found, ignored = discover(args.inputs, recursive=args.recursive)
    white_balance = WhiteBalance(args.white_balance)
    # the first photo decodes while torch is imported (most of a second)
    early = start_reading(found[0].path, white_balance) if found and not args.cluster else None
    from zdce_core.batch_events import COPIED_NOTE, ItemFinished, ItemStarted, ItemStatus, SkipKind
    from zdce_core.batch_job import Progress, plan_job, run_job
    from zdce_core.enhancer import Enhancer
    from zdce_core.model_store import open_model
    from zdce_core.outputs import PlanError, options_for

    try:
        job = plan_job(found, lambda f: options_for(f, opts, rule))
    except PlanError as exc:
        raise UsageError(str(exc)) from exc
    where = _where(rule, opts.folder, [o.folder for o in job.groups])
    say = (lambda _t: None) if args.quiet else (lambda t: print(t, file=sys.stderr))
    for item in [*ignored, *job.ignored]:
        say(f"skipped {item.path}: {item.reason}")
    for renamed in job.renamed:
        say(f"note {renamed.path}: {renamed.note}")
    named_but_unread = any(i.named for i in ignored)
    if not job.total and job.ignored:  # every photo found was left out by the options
        print(
            f"zdce: nothing to enhance: all {len(job.ignored)} photos found are earlier "
            f"results or inside the output folder {where} (see the lines above)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not job.total:
        print("zdce: no images to enhance", file=sys.stderr)
        return EXIT_FAILED if named_but_unread else EXIT_OK
    try:
        model = open_model(args.model)
        enhancer = (
            None
            if args.cluster
            else Enhancer(model, args.device, args.estimate_size, args.full_res)
        )
    except (WeightsError, ValueError) as exc:  # a bad --model or --device
        print(f"zdce: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar = TextBar() if not args.quiet else None
    report = bar.line if bar else (lambda t: print(t, file=sys.stderr))

    all_outputs_existed = True
    replaceable = {SkipKind.OUTPUT_EXISTS, SkipKind.OUTPUT_APPEARED}

    def show(event: ItemStarted | ItemFinished, progress: Progress) -> None:
        nonlocal all_outputs_existed
        if isinstance(event, ItemFinished) and event.skip is not SkipKind.OUTPUT_EXISTS:
            all_outputs_existed = False
        if bar:
            bar.update(progress.ended, progress.total, f"{progress.text()} · {event.path.name}")
        if isinstance(event, ItemStarted):
            return
        if event.status is ItemStatus.FAILED:
            report(f"failed {event.path}: {event.reason}")
        elif event.status is ItemStatus.DONE:
            if event.reason:
                report(f"note {event.path}: {event.notes(KEEP_CAST)}")
            if args.verbose and event.strength is not None:
                label = strength_label(event.strength, event.auto)
                copied = f"; {COPIED_NOTE}" if event.copied else ""
                report(f"done {event.path} -> {event.output} (strength {label}{copied})")
        elif bar:
            hint = " (use --overwrite to replace it)" if event.skip in replaceable else ""
            report(f"skipped {event.path}: {event.reason}{hint}")

    stop: StopSignals = args.stop
    try:
        with stop.cancellable() as cancel:
            if enhancer is not None:
                summary = run_job(job, enhancer, adjustments, show, cancel, white_balance, early)
            else:
                summary = _run_on_cluster(
                    args, job, model.path, adjustments, show, white_balance, cancel
                )
    except KeyboardInterrupt as exc:  # raised by the work itself (a cluster job, a test)
        if bar:
            bar.close()
        print("zdce: interrupted; finished outputs are kept, none is half-written", file=sys.stderr)
        return interrupted_exit_code(exc)
    if bar:
        bar.close()
    if summary.cancelled or stop.signum is not None:
        print(
            f"zdce: interrupted: {summary.done} enhanced, {summary.skipped} skipped, "
            f"{summary.failed} failed of {summary.total}; finished outputs are kept in "
            f"{where}, none is half-written",
            file=sys.stderr,
        )
        return stop.exit_code
    if summary.total and summary.skipped == summary.total and all_outputs_existed:
        # Exit 0: what was asked for (every output) is there; re-running a script is no error.
        print(
            f"zdce: all {summary.total} outputs exist (use --overwrite to replace them)",
            file=sys.stderr,
        )
    chosen = summary.auto_strengths
    if chosen:
        print(
            f"auto exposure: strength {min(chosen):.1f}–{max(chosen):.1f}, "
            f"mean {sum(chosen) / len(chosen):.1f}",
            file=sys.stderr,
        )
    print(
        f"{summary.done} enhanced, {summary.skipped} skipped, {summary.failed} failed "
        f"of {summary.total} in {format_duration(summary.seconds)} "
        f"({summary.megapixels_per_second:.1f} MP/s) -> {where}",
        file=sys.stderr,
    )
    return EXIT_FAILED if summary.failed or named_but_unread else EXIT_OK


def _run_on_cluster(args, job, model_path, adjustments, show, white_balance, cancel):
    """``zdce enhance --cluster``: the same job on Ray (:mod:`zdce_core.cluster`)."""
    from zdce_core.cluster import ClusterError, ClusterOptions, ModelSpec, run_job_on_ray

    options = ClusterOptions(
        address=args.cluster,
        workers=args.workers,
        gpus_per_worker=args.gpus_per_worker,
        cpus_per_worker=args.cpus_per_worker,
    )
    device = args.device
    if device == "auto":
        device = "cuda" if args.gpus_per_worker > 0 else "cpu"
    spec = ModelSpec(model_path, device, args.estimate_size, args.full_res)
    try:
        return run_job_on_ray(
            job, spec, adjustments, show, options, cancel, white_balance=white_balance
        )
    except ClusterError as exc:
        raise UsageError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zdce", description="Brighten dark photos with Zero-DCE light-enhancement curves."
    )
    parser.add_argument("--version", action="version", version=f"zdce {__version__}")
    parser.add_argument(
        "--threads", type=int, default=0, help="CPU worker threads (default: one per core)"
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("enhance", help="brighten photos and folders of photos")
    p.add_argument("inputs", nargs="+", help="image files and folders")
    p.add_argument("-r", "--recursive", action="store_true", help="include subfolders")
    add_export_options(p)
    add_adjustment_options(p)
    add_model_options(p)
    p.add_argument(
        "--full-res",
        action="store_true",
        help="estimate the curves on the full-resolution image (slower, tiled)",
    )
    p.add_argument(
        "--white-balance",
        choices=["camera", "auto"],
        default="camera",
        help="camera RAW files: the white balance as shot, or estimated from the image",
    )
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="run on Ray: local (start Ray here), auto (this machine's cluster) or an address "
        "such as ray://head:10001; inputs and outputs must be on storage every node sees",
    )
    p.add_argument("--workers", type=int, help="--cluster: actors (default: from resources)")
    p.add_argument("--gpus-per-worker", type=float, default=0.0, help="--cluster: GPUs per actor")
    p.add_argument("--cpus-per-worker", type=int, default=1, help="--cluster: CPUs per actor")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "-v", "--verbose", action="store_true", help="a line per photo with its strength"
    )
    p.set_defaults(func=cmd_enhance)

    add_watch_parser(sub)
    add_evaluate_parser(sub)

    p = sub.add_parser("models", help="list the bundled and the user's models")
    p.set_defaults(func=cmd_models)
    add_presets_parser(sub)

    add_train_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``zdce`` command line ``argv`` (default: ``sys.argv[1:]``); returns the exit
    code. SIGINT, SIGTERM and SIGHUP are handled as :class:`StopSignals` says while it runs."""
    stop = StopSignals()
    stop.install()
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.stop = stop
        if args.threads > 0:
            from zdce_core.parallel import set_compute_threads  # imports torch: not for --help

            set_compute_threads(args.threads)
        try:
            return args.func(args)
        except UsageError as exc:
            parser.print_usage(sys.stderr)
            print(f"zdce: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
    except KeyboardInterrupt as exc:  # start-up, discovery, loading: nothing written yet
        print("zdce: interrupted", file=sys.stderr)
        return interrupted_exit_code(exc)
    finally:
        stop.restore()


def run() -> NoReturn:
    """The ``zdce`` program: :func:`main`, then leave at once with its exit code. By then
    every output is written and closed; what is skipped is the interpreter's teardown of
    torch (about 0.3 s, a tenth of a batch of small photos). A run that connected to Ray
    or left child processes exits the usual way, so their shutdown runs."""
    code = main()
    if "ray" in sys.modules or multiprocessing.active_children():
        sys.exit(code)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: nothing more to say
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    run()
