"""The ``zdce`` command: enhance photos, list models, train.

Exit codes: 0 success, 1 some file failed (or training stopped on an error), 2 usage error,
128 + the signal when stopped: 130 Ctrl+C (SIGINT), 143 SIGTERM, 129 SIGHUP. A stop signal
during a batch or a training run lets the photo or step in progress end cleanly (finished
outputs kept, no temporary left); one during start-up ends at once; either way with one line.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from zdce_core import __version__
from zdce_core.adjustments import DEFAULT_ESTIMATE_SIZE, strength_label
from zdce_core.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    StopSignals,
    UsageError,
    add_adjustment_options,
    adjustments_from_args,
    check_output_file,
    interrupted_exit_code,
    write_failure,
    write_text_atomically,
)
from zdce_core.cli_evaluate import add_evaluate_parser
from zdce_core.errors import WeightsError
from zdce_core.textbar import TextBar, format_duration

if TYPE_CHECKING:
    from zdce_core.losses import LossParts
    from zdce_core.training_config import TrainConfig
    from zdce_core.training_runs import NameInUse


def _parts_text(p: LossParts) -> str:
    return f"loss {p.total:.4f} (spa {p.spa:.4f} exp {p.exp:.4f} col {p.col:.4f} tv {p.tv:.4f})"


def cmd_models(args: argparse.Namespace) -> int:
    """``zdce models``: a line per model with its architecture, epochs and date, or
    ``unreadable: REASON`` for a file that is not a usable model (a named pipe is never
    opened). Names, metadata and paths are printed with control characters escaped."""
    from zdce_core.model_store import list_models, printable

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


def cmd_enhance(args: argparse.Namespace) -> int:
    adjustments = adjustments_from_args(args)  # before the heavy imports: usage errors are fast
    from zdce_core.batch import COPIED_NOTE, ItemFinished, ItemStarted, ItemStatus, SkipKind
    from zdce_core.batch_job import Progress, plan_job, run_job
    from zdce_core.discovery import discover
    from zdce_core.enhancer import Enhancer
    from zdce_core.model_store import open_model
    from zdce_core.outputs import OutputOptions, PlanError
    from zdce_core.raw_io import WhiteBalance

    try:
        opts = OutputOptions(
            folder=Path(args.output).expanduser(),
            suffix=args.suffix,
            format=args.format,
            quality=args.quality,
            keep_metadata=not args.strip_metadata,
            overwrite=args.overwrite,
            mirror=not args.flat,
        )
        found, ignored = discover(args.inputs, recursive=args.recursive)
        job = plan_job(found, lambda _f: opts)
    except PlanError as exc:
        raise UsageError(str(exc)) from exc
    say = (lambda _t: None) if args.quiet else (lambda t: print(t, file=sys.stderr))
    for item in [*ignored, *job.ignored]:
        say(f"skipped {item.path}: {item.reason}")
    for renamed in job.renamed:
        say(f"note {renamed.path}: {renamed.note}")
    named_but_unread = any(i.named for i in ignored)
    if not job.total and job.ignored:  # every photo found was left out by the options
        print(
            f"zdce: nothing to enhance: all {len(job.ignored)} photos found are earlier "
            f"results or inside the output folder {opts.folder} (see the lines above)",
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
                report(f"note {event.path}: {event.reason}")
            if args.verbose and event.strength is not None:
                label = strength_label(event.strength, event.auto)
                copied = f"; {COPIED_NOTE}" if event.copied else ""
                report(f"done {event.path} -> {event.output} (strength {label}{copied})")
        elif bar:
            hint = " (use --overwrite to replace it)" if event.skip in replaceable else ""
            report(f"skipped {event.path}: {event.reason}{hint}")

    white_balance = WhiteBalance(args.white_balance)
    stop: StopSignals = args.stop
    try:
        with stop.cancellable() as cancel:
            if enhancer is not None:
                summary = run_job(
                    job, enhancer, adjustments, show, cancel, white_balance=white_balance
                )
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
            f"{opts.folder}, none is half-written",
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
        f"({summary.megapixels_per_second:.1f} MP/s) -> {opts.folder}",
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


def _name_in_use_line(exc: NameInUse) -> str:
    """What exists and the flags that continue or replace it, for ``zdce train``."""
    from zdce_core.training_runs import RunState

    existing = exc.existing
    if existing.resumable:
        flags = "use --resume to continue it or --replace to start over"
    elif existing.run_state is RunState.FINISHED:
        flags = "use --resume with more --epochs to continue it or --replace to start over"
    elif existing.run_state is RunState.UNREADABLE:
        flags = "use --replace to start over"
    else:
        flags = "use --replace to replace it or another --name"
    return f"{existing.describe()}: {flags}"


def _check_resume_options(config: TrainConfig, given: set[str], args: argparse.Namespace) -> None:
    """Refuse (a :class:`UsageError`) a ``--resume`` whose options differ from the run's: a
    resumed run keeps the settings it was started with, so they would be ignored. Nothing is
    checked when the run cannot be read (training says why)."""
    from zdce_core.training_config import resume_differences
    from zdce_core.training_runs import RUN_INFO_NAME, read_run_info, run_dir_for

    folder = Path(args.run_dir) if args.run_dir else run_dir_for(config.name)
    try:
        info = read_run_info(folder) if (folder / RUN_INFO_NAME).is_file() else None
    except Exception:  # a damaged run.json falls back to the checkpoint: torch raises many kinds
        info = None
    if info is None:
        return
    found = resume_differences(config, given, info.config)
    if found:
        raise UsageError(
            f"--resume continues {config.name!r} with the settings it was started with and "
            f"would ignore {'; '.join(d.describe() for d in found)}: leave "
            f"{'them' if len(found) > 1 else 'it'} out to resume, or use --replace to start "
            f"over with {'them' if len(found) > 1 else 'it'}"
        )


def cmd_train(args: argparse.Namespace) -> int:
    from zdce_core.training_config import (
        EpochDone,
        Preset,
        StepProgress,
        TrainingError,
        TrainWarning,
        parse_loss_weight,
        preset_config,
    )

    weights: dict[str, float] = {}
    for item in args.loss_weight or []:
        try:
            loss, weight = parse_loss_weight(item)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        weights[loss.value] = weight
    from zdce_core.model_store import check_model_name

    try:
        name = check_model_name(args.name)  # before any work: it names files and folders
    except ValueError as exc:
        raise UsageError(f"--name: {exc}") from exc
    preset = Preset.REFERENCE if args.from_scratch else Preset(args.preset)
    given: dict[str, object] = {
        "arch": args.arch,
        "base": args.base,
        "epochs": args.epochs,
        "crop": args.crop,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "weight_decay": args.weight_decay,
        "grad_clip": args.grad_clip,
        "exposure_target": args.exposure_target,
        "loss_weights": weights or None,
        "scale_min": args.scale_min,
        "flips": False if args.no_flips else None,
        "val_every": args.val_every,
        "seed": args.seed,
        "device": args.device,
    }
    config = preset_config(preset, data=[str(Path(d)) for d in args.folders], name=name, **given)
    try:
        config.validate()
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if args.resume:
        _check_resume_options(config, {k for k, v in given.items() if v is not None}, args)
    history_json = (
        check_output_file(args.history_json, "--history-json") if args.history_json else None
    )
    bar = TextBar()

    def report(p: object) -> None:
        if isinstance(p, StepProgress):
            bar.update(
                p.step,
                p.steps,
                f"epoch {p.epoch}/{p.epochs} {p.images_per_second:.1f} img/s "
                f"ETA {format_duration(p.eta_seconds)} {_parts_text(p.losses)}",
            )
        elif isinstance(p, TrainWarning):
            bar.line(f"warning: {p.message}")
        elif isinstance(p, EpochDone) and not args.quiet:
            val = f" | val {_parts_text(p.val)}" if p.val else ""
            bar.line(
                f"epoch {p.epoch}/{p.epochs} ({format_duration(p.seconds)}): train "
                f"{_parts_text(p.train)}{val}"
            )

    from zdce_core.training import train
    from zdce_core.training_config import NotEnoughMemory, RunStatus
    from zdce_core.training_runs import CheckpointDamaged, NameInUse, RunLocked

    stop: StopSignals = args.stop
    resume_line = "zdce train: interrupted; run again with --resume to continue"
    try:
        with stop.cancellable() as cancel:
            result = train(
                config,
                on_progress=report,
                cancel=cancel,
                run_dir=Path(args.run_dir) if args.run_dir else None,
                resume=args.resume,
                save_as=Path(args.output) if args.output else None,
                replace=args.replace,
            )
    except NameInUse as exc:  # before any work: a usage error, in one line
        bar.close()
        print(f"zdce train: {_name_in_use_line(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except CheckpointDamaged as exc:  # found before any step: the user picks another flag
        bar.close()
        print(f"zdce train: {exc}: use --replace to start over", file=sys.stderr)
        return EXIT_USAGE
    except (RunLocked, NotEnoughMemory) as exc:
        bar.close()
        print(f"zdce train: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (TrainingError, WeightsError, ValueError) as exc:
        bar.close()
        print(f"zdce train: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt as exc:
        bar.close()
        print(resume_line, file=sys.stderr)
        return interrupted_exit_code(exc)
    bar.close()
    if result.status is RunStatus.CANCELLED:
        print(
            f"{resume_line} ({result.epochs_done} epochs done, kept in {result.run_dir})",
            file=sys.stderr,
        )
        return stop.exit_code
    print(f"saved model {result.model_path} after {result.epochs_done} epochs")
    if history_json is not None:
        try:
            write_text_atomically(history_json, json.dumps(result.history, indent=1))
        except OSError as exc:
            print(f"zdce train: {write_failure(history_json, exc)}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK


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
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("-r", "--recursive", action="store_true", help="include subfolders")
    add_adjustment_options(p)
    p.add_argument(
        "--format",
        default="same",
        choices=["same", "jpeg", "png", "tiff", "webp"],
        help="output format (default: same as the input)",
    )
    p.add_argument("--quality", type=int, default=95, help="JPEG/WebP quality 1-100 (95)")
    p.add_argument("--suffix", default="_enhanced", help="added to output names (_enhanced)")
    p.add_argument("--overwrite", action="store_true", help="replace existing outputs")
    p.add_argument("--flat", action="store_true", help="do not mirror subfolders")
    p.add_argument("--strip-metadata", action="store_true", help="drop EXIF, ICC and XMP")
    p.add_argument("--model", help="model name (see `zdce models`) or file (.safetensors/.pth)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument(
        "--estimate-size",
        type=int,
        default=DEFAULT_ESTIMATE_SIZE,
        help="long side in pixels of the copy the curves are estimated on (%(default)s)",
    )
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

    add_evaluate_parser(sub)

    p = sub.add_parser("models", help="list the bundled and the user's models")
    p.set_defaults(func=cmd_models)

    p = sub.add_parser("train", help="train or fine-tune a model on folders of photos")
    p.add_argument("folders", nargs="+", help="folders of training photos (searched recursively)")
    p.add_argument("--name", required=True, help="name of the model to save")
    p.add_argument(
        "--preset",
        default="fine-tune",
        choices=["fine-tune", "reference"],
        help="fine-tune: adapt the default model (lr 5e-5, crops of half to all the short side); "
        "reference: train from scratch with the paper's recipe (lr 1e-4, whole images)",
    )
    p.add_argument("--arch", choices=["dcenet", "dcenet++"], help="architecture from scratch")
    p.add_argument("--base", help="model to fine-tune (default: default)")
    p.add_argument("--from-scratch", action="store_true", help="the same as --preset reference")
    p.add_argument("--epochs", type=int)
    p.add_argument("--crop", type=int, help="training patch side in pixels")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float, help="learning rate (default: the preset's)")
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--grad-clip", type=float)
    p.add_argument("--exposure-target", type=float, help="target mean brightness")
    p.add_argument("--loss-weight", action="append", metavar="NAME=W", help="e.g. tv=400")
    p.add_argument(
        "--scale-min",
        type=float,
        help="smallest crop as a fraction of the short side (1 = whole image resized)",
    )
    p.add_argument("--no-flips", action="store_true")
    p.add_argument(
        "--val-every", type=int, help="hold out every n-th file (default: by the photo count)"
    )
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps")
    start = p.add_mutually_exclusive_group()
    start.add_argument("--resume", action="store_true", help="continue the interrupted run")
    start.add_argument(
        "--replace",
        action="store_true",
        help="start over although a run or model of this name exists (they are replaced when "
        "the new run saves)",
    )
    p.add_argument("--run-dir", help="checkpoint folder (default: in the user data folder)")
    p.add_argument("--output", help="model file to write (default: the user model folder)")
    p.add_argument("--history-json", help="also write the per-epoch losses to this JSON file")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_train)
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


if __name__ == "__main__":
    sys.exit(main())
