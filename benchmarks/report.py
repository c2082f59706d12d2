"""Printing benchmark results: an aligned table on stdout, and JSON when asked."""

from __future__ import annotations

import json
from pathlib import Path


def report(results: dict[str, object], json_path: Path | None) -> None:
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:{width}s}  {value}")
    if json_path:
        json_path.write_text(json.dumps(results, indent=2))
