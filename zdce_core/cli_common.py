"""What the ``zdce`` subcommands share: exit codes, usage errors, result tables and the
options for the look of a result (``zdce enhance`` and ``zdce evaluate``)."""

from __future__ import annotations

import argparse

from zdce_core.adjustments import (
    DEFAULT_ADJUSTMENTS,
    DEFAULT_TARGET_BRIGHTNESS,
    Adjustments,
    Denoise,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad arguments found after parsing (exit code 2)."""


def table(rows: list[dict[str, object]]) -> str:
    """Rows of dicts as aligned text columns (floats with 4 decimals, missing as '-')."""
    headers = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    cells = [[cell(row.get(h, "-")) for h in headers] for row in rows]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = [headers, *cells]
    return "\n".join(
        "  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)) for line in lines
    )


def parse_strength(text: str) -> float | None:
    """``auto`` → ``None``; otherwise a number (range checked by :class:`Adjustments`)."""
    if text.strip().lower() == "auto":
        return None
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"use auto or a number from 0 to 8, not {text!r}"
        ) from None


def adjustments_from_args(args: argparse.Namespace) -> Adjustments:
    """The :class:`Adjustments` the ``enhance`` / ``evaluate`` options ask for."""
    try:
        return Adjustments(
            strength=args.strength,
            target_brightness=args.target_brightness,
            protect_highlights=not args.no_highlight_protection,
            denoise=Denoise(args.denoise),
            scene_aware=not args.no_scene_aware,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def add_adjustment_options(p: argparse.ArgumentParser) -> None:
    """``--strength``, ``--target-brightness``, ``--denoise``, ``--no-highlight-protection``,
    ``--no-scene-aware``."""
    p.add_argument(
        "-s",
        "--strength",
        type=parse_strength,
        default=None,
        metavar="auto|0-8",
        help="auto (default: each photo gets the strength it needs) or curve iterations, "
        "0 (unchanged) to 8 (the model's full effect); fractions allowed",
    )
    p.add_argument(
        "--target-brightness",
        type=float,
        default=DEFAULT_TARGET_BRIGHTNESS,
        metavar="0.05-0.95",
        help="brightness auto exposure aims at: the content of a dark photo (not a black "
        f"night sky) is lifted toward it ({DEFAULT_TARGET_BRIGHTNESS})",
    )
    p.add_argument(
        "--denoise",
        default=DEFAULT_ADJUSTMENTS.denoise.value,
        choices=[d.value for d in Denoise],
        help=f"smooth the noise of lifted shadows ({DEFAULT_ADJUSTMENTS.denoise.value})",
    )
    p.add_argument(
        "--no-highlight-protection",
        action="store_true",
        help="let the curves push bright areas (lamps, sky) into white",
    )
    p.add_argument(
        "--no-scene-aware",
        action="store_true",
        help="apply the model's per-channel curves as they are (no neutral colours, clean "
        "blacks or texture keeping) and let auto exposure aim at the mean brightness",
    )
