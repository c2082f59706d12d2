"""``zdce evaluate``: numbers (and a contact sheet) to compare models and settings on a
folder of photos: brightness and clipped pixels before → after, lightness-order error,
colour cast, near-white growth (lit subjects blown), black lift (night skies turned grey),
cast on neutral greys, the strengths chosen, and the model's zero-reference losses."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from zdce_core.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_adjustment_options,
    adjustments_from_args,
    check_output_file,
    table,
    write_failure,
    write_text_atomically,
)
from zdce_core.errors import WeightsError
from zdce_core.photo_defects import defects_text
from zdce_core.textbar import TextBar

if TYPE_CHECKING:
    from zdce_core.evaluation import ModelReport


def summary_row(report: ModelReport) -> dict[str, object]:
    """The means (and extremes) of one model's scores, as a table row."""
    row: dict[str, object] = {"model": report.model, "images": len(report.scores)}
    if not report.scores:
        return row
    auto = sum(s.auto for s in report.scores)
    row.update(
        input_brightness=report.mean("input_brightness"),
        brightness=report.mean("brightness"),
        input_clipped_percent=100 * report.mean("input_clipped"),
        clipped_percent=100 * report.mean("clipped"),
        loe=report.mean("loe"),
        input_cast=report.mean("input_cast"),
        cast=report.mean("cast"),
        max_cast=report.max("cast"),
        strength=report.mean("strength"),
        min_strength=min(s.strength for s in report.scores),
        max_strength=report.max("strength"),
        auto=f"{auto}/{len(report.scores)}",
        near_white_growth_percent=100 * (report.mean_defect("white_growth") or 0.0),
        black_lift=report.mean_defect("black_lift"),
        grey_cast=report.mean_defect("grey_cast"),
    )
    row.update({c: report.mean(c) for c in ("total", "spa", "exp", "col", "tv")})
    return row


def cmd_evaluate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from zdce_core.adjustments import strength_label
    from zdce_core.contact_sheet import write_contact_sheet
    from zdce_core.discovery import discover
    from zdce_core.enhancer import Enhancer
    from zdce_core.evaluation import evaluate
    from zdce_core.model_store import open_model
    from zdce_core.training_data import split_files

    adjustments = adjustments_from_args(args)
    json_path = check_output_file(args.json, "--json") if args.json else None
    sheet = check_output_file(args.sheet, "--sheet") if args.sheet else None
    found, _ = discover(args.folders, recursive=True)
    files = sorted(f.path for f in found)
    if args.val_every:
        files = split_files(files, args.val_every)[1]
    if not files:
        print("zdce evaluate: no images found", file=sys.stderr)
        return EXIT_FAILED
    try:
        enhancers = [Enhancer(open_model(m), args.device) for m in args.model or [None]]
    except (WeightsError, ValueError) as exc:
        print(f"zdce evaluate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    bar = TextBar() if not args.quiet else None
    say = bar.line if bar else print
    reports = []
    for enhancer in enhancers:
        report = evaluate(
            enhancer,
            files,
            args.exposure_target,
            args.size,
            on_image=bar.update if bar else None,
            adjustments=adjustments,
            thumbnails=args.sheet is not None,
        )
        low = -1.0 if args.brighter_than is None else args.brighter_than
        high = 2.0 if args.darker_than is None else args.darker_than
        kept = [s for s in report.scores if low <= s.input_brightness < high]
        report = replace(report, scores=kept)
        reports.append(report)
        for path, reason in report.failures:
            say(f"failed {path}: {reason}")
        if args.verbose:
            for s in report.scores:
                say(
                    f"{report.model}: {s.path.name}: strength {strength_label(s.strength, s.auto)}"
                    f", brightness {s.input_brightness:.3f} -> {s.brightness:.3f}, clipped "
                    f"{100 * s.input_clipped:.2f}% -> {100 * s.clipped:.2f}%, LOE {s.loe:.0f}"
                    f", {defects_text(s.defects)}"
                )
    if bar:
        bar.close()
    rows = [summary_row(r) for r in reports]
    print(table(rows))
    for target, write in (
        (json_path, lambda t: write_text_atomically(t, json.dumps(rows, indent=2))),
        (sheet, lambda t: write_contact_sheet(reports, t)),
    ):
        if target is None:
            continue
        try:
            write(target)
        except OSError as exc:
            print(f"zdce evaluate: {write_failure(target, exc)}", file=sys.stderr)
            return EXIT_FAILED
    if sheet is not None:
        print(f"contact sheet: {sheet}", file=sys.stderr)
    return EXIT_OK


def add_evaluate_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="compare models on a folder of photos")
    p.add_argument("folders", nargs="+", help="folders of photos (searched recursively)")
    p.add_argument("--model", action="append", help="model to evaluate (repeatable; default)")
    p.add_argument("--val-every", type=int, help="only the validation split (every n-th file)")
    p.add_argument(
        "--darker-than", type=float, help="only photos whose mean gray is below this (0-1)"
    )
    p.add_argument(
        "--brighter-than", type=float, help="only photos whose mean gray is at least this (0-1)"
    )
    p.add_argument(
        "--exposure-target", type=float, default=0.6, help="of the exposure loss reported (0.6)"
    )
    add_adjustment_options(p)
    p.add_argument("--sheet", help="write a before/after contact sheet PNG here")
    p.add_argument("-v", "--verbose", action="store_true", help="a line per photo")
    p.add_argument("--size", type=int, default=512, help="long side in pixels evaluated at (512)")
    p.add_argument("--device", default="auto")
    p.add_argument("--json", help="also write the table as JSON")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=cmd_evaluate)
