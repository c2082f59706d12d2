"""Print the per-epoch losses of a training run as a Markdown table (for model cards).

python training/history_table.py training/default-run
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zdce_core.textbar import format_duration
from zdce_core.training_runs import RunInfo, read_run_info


def history_markdown(info: RunInfo) -> str:
    """The per-epoch training and validation losses of a checkpoint's history as a table."""
    keys = ("total", "spa", "exp", "col", "tv")
    header = ["epoch", "time", *(f"train {k}" for k in keys), *(f"val {k}" for k in keys)]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for record in info.history:
        train, val = record["train"], record["val"] or {}
        cells = [str(record["epoch"]), format_duration(record["seconds"])]
        cells += [f"{train[k]:.4f}" for k in keys] + [f"{val[k]:.4f}" if val else "-" for k in keys]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    info = read_run_info(Path(sys.argv[1]))
    if info is None:
        raise SystemExit(f"no checkpoint in {sys.argv[1]}")
    print(history_markdown(info))


if __name__ == "__main__":
    main()
