"""What the ``zdce`` subcommands share: exit codes, usage errors, result tables, the
options for the look of a result (``zdce enhance`` and ``zdce evaluate``), stop signals
(Ctrl+C, SIGTERM, SIGHUP) and the checks and atomic writes of extra output files."""

from __future__ import annotations

import argparse
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from zdce_core.adjustments import (
    DEFAULT_ADJUSTMENTS,
    DEFAULT_ESTIMATE_SIZE,
    DEFAULT_TARGET_BRIGHTNESS,
    Adjustments,
    Denoise,
)
from zdce_core.atomic import atomic_path
from zdce_core.cancel import CancelToken

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


KEEP_CAST = "--no-cast-correction keeps it as shot"
"""How the command line says to keep a corrected colour cast (:meth:`ItemFinished.notes`)."""


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


def adjustments_from_args(
    args: argparse.Namespace, base: Adjustments = DEFAULT_ADJUSTMENTS
) -> Adjustments:
    """The :class:`Adjustments` the ``enhance`` / ``evaluate`` options ask for; what they
    do not give is ``base``'s (a preset's, or the defaults)."""
    try:
        return Adjustments(
            strength=getattr(args, "strength", base.strength),
            target_brightness=getattr(args, "target_brightness", base.target_brightness),
            protect_highlights=getattr(args, "highlight_protection", base.protect_highlights),
            denoise=Denoise(args.denoise) if hasattr(args, "denoise") else base.denoise,
            scene_aware=not args.no_scene_aware,
            correct_cast=getattr(args, "cast_correction", base.correct_cast),
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def add_model_options(p: argparse.ArgumentParser) -> None:
    """``--model``, ``--device`` and ``--estimate-size``: which model runs where (``zdce enhance``
    and ``zdce watch``)."""
    p.add_argument("--model", help="model name (see `zdce models`) or file (.safetensors/.pth)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument(
        "--estimate-size",
        type=int,
        default=DEFAULT_ESTIMATE_SIZE,
        help="long side in pixels of the copy the curves are estimated on (%(default)s)",
    )


def add_adjustment_options(p: argparse.ArgumentParser) -> None:
    """``--strength``, ``--target-brightness``, ``--denoise``, ``--[no-]highlight-protection``,
    ``--[no-]cast-correction``, ``--no-scene-aware``; all but the last are absent from the
    parsed arguments unless given (a preset may set them)."""
    p.add_argument(
        "-s",
        "--strength",
        type=parse_strength,
        default=argparse.SUPPRESS,
        metavar="auto|0-8",
        help="auto (default: each photo gets the strength it needs) or curve iterations, "
        "0 (unchanged) to 8 (the model's full effect); fractions allowed",
    )
    p.add_argument(
        "--target-brightness",
        type=float,
        default=argparse.SUPPRESS,
        metavar="0.05-0.95",
        help="brightness auto exposure aims at: the content of a dark photo (not a black "
        f"night sky) is lifted toward it ({DEFAULT_TARGET_BRIGHTNESS})",
    )
    p.add_argument(
        "--denoise",
        default=argparse.SUPPRESS,
        choices=[d.value for d in Denoise],
        help=f"smooth the noise of lifted shadows ({DEFAULT_ADJUSTMENTS.denoise.value})",
    )
    p.add_argument(
        "--highlight-protection",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="keep bright areas (lamps, sky) as they are (default); --no-highlight-protection "
        "lets the curves push them into white",
    )
    p.add_argument(
        "--cast-correction",
        action=argparse.BooleanOptionalAction,
        default=argparse.SUPPRESS,
        help="partly correct an extreme colour cast of the light, such as sodium street lamps "
        "(default); --no-cast-correction keeps every colour as shot",
    )
    p.add_argument(
        "--no-scene-aware",
        action="store_true",
        help="apply the model's per-channel curves as they are (no neutral colours, clean "
        "blacks or texture keeping) and let auto exposure aim at the mean brightness",
    )


class Interrupted(KeyboardInterrupt):
    """A stop signal (SIGINT, SIGTERM, SIGHUP) that arrived outside cancellable work
    (start-up, discovery, loading a model): it unwinds like Ctrl+C; :attr:`signum` says
    which signal, for the exit code ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def interrupted_exit_code(exc: BaseException | None = None) -> int:
    """``128 + signum`` for an :class:`Interrupted`, else 130 (a plain ``KeyboardInterrupt``)."""
    if isinstance(exc, Interrupted):
        return 128 + exc.signum
    return EXIT_INTERRUPTED


STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)
"""The signals that ask ``zdce`` to stop, where the platform has them."""


class StopSignals:
    """Turns SIGINT, SIGTERM and SIGHUP into one way of stopping.

    Inside :meth:`cancellable` (a batch, a training run) the first signal sets
    :attr:`token`, which the work polls: the photo (or step) in progress stops, finished
    outputs stay, no temporary is left, and no exception meets the worker threads. Outside it
    (start-up, discovery) the first signal raises :class:`Interrupted` in the main thread.
    Later signals are ignored (the first repeat prints one "still stopping" line), so a
    double Ctrl+C cannot tear the process down while threads run; once a signal came, the
    stop signals stay ignored until the process has ended (:meth:`restore`), so none
    arrives during interpreter shutdown either.
    """

    def __init__(self) -> None:
        self.token = CancelToken()
        self.signum: int | None = None
        """The first stop signal received, if any."""
        self._cancellable = False
        self._repeated = False
        self._previous: dict[int, Any] = {}

    @property
    def exit_code(self) -> int:
        """``128 + signum`` of the first signal (130 when none came)."""
        return EXIT_INTERRUPTED if self.signum is None else 128 + self.signum

    def install(self) -> bool:
        """Install the handlers (only possible in the main thread); returns whether it did."""
        if threading.current_thread() is not threading.main_thread():
            return False
        for sig in STOP_SIGNALS:
            self._previous[sig] = signal.signal(sig, self._on_signal)
        return True

    def restore(self) -> None:
        """Put the previous handlers back, unless a signal came: then the stop signals are
        ignored from here on (``SIG_IGN``, which Python keeps through interpreter shutdown,
        where it would put back the default action for a handler of its own), so a repeated
        Ctrl+C cannot kill the process while it ends."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler if self.signum is None else signal.SIG_IGN)
        self._previous.clear()

    @contextmanager
    def cancellable(self) -> Iterator[CancelToken]:
        """Inside the block a stop signal sets the yielded token instead of raising; a
        signal that came before the block sets it at once."""
        if self.signum is not None:
            self.token.cancel()
        self._cancellable = True
        try:
            yield self.token
        finally:
            self._cancellable = False

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.signum is not None:
            if not self._repeated:
                self._repeated = True
                _say("zdce: still stopping; finished outputs are kept\n")
            return
        self.signum = signum
        if self._cancellable:
            self.token.cancel()
            _say("zdce: stopping…\n")
            return
        raise Interrupted(signum)


def _say(text: str) -> None:
    """Write ``text`` to stderr without Python's buffered stream, which a signal handler may
    have interrupted in the middle of a write."""
    with suppress(OSError):
        os.write(2, text.encode("utf-8", "replace"))


def check_output_file(path: str, option: str) -> Path:
    """``path`` of an extra output (``--history-json``, ``--json``, ``--sheet``), checked
    before any work: its folder exists and is writable, and it is not a folder itself.
    Raises :class:`UsageError` with one line otherwise."""
    target = Path(path).expanduser()
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"{option} {target} is a folder; name a file")
    if not folder.exists():
        raise UsageError(f"{option} {target}: the folder {folder} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{option} {target}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UsageError(f"{option} {target}: the folder {folder} is not writable")
    return target


def write_text_atomically(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` completely or not at all (a temporary renamed into
    place): a full disk leaves the previous file, or none, never an empty one."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_failure(target: Path, exc: OSError) -> str:
    """One line for an extra output that could not be written."""
    return f"cannot write {target}: {(exc.strerror or str(exc)).lower()}"
