"""``zdce train``: train or fine-tune a model on folders of photos, resume or replace a run,
and print the progress, the per-epoch losses and the model saved."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from zdce_core.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    StopSignals,
    UsageError,
    check_output_file,
    interrupted_exit_code,
    write_failure,
    write_text_atomically,
)
from zdce_core.errors import WeightsError
from zdce_core.textbar import TextBar, format_duration

if TYPE_CHECKING:
    from zdce_core.losses import LossParts
    from zdce_core.training_config import TrainConfig
    from zdce_core.training_runs import NameInUse


def _parts_text(p: LossParts) -> str:
    return f"loss {p.total:.4f} (spa {p.spa:.4f} exp {p.exp:.4f} col {p.col:.4f} tv {p.tv:.4f})"


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
    from zdce_core.model_names import check_model_name

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
    from zdce_core.training_check import ModelRefused, Remedy, try_line
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
    except ModelRefused as exc:
        bar.close()
        flags = {
            Remedy.LOWER_LEARNING_RATE: "a lower --lr",
            Remedy.FEWER_EPOCHS: "fewer --epochs",
            Remedy.HIGHER_EXPOSURE_TARGET: "a higher --exposure-target",
        }
        print(f"zdce train: {exc}. {try_line(exc.refusal.remedies, flags)}", file=sys.stderr)
        return EXIT_FAILED
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


def add_train_parser(sub: argparse._SubParsersAction) -> None:
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
