"""Before/after contact sheets: one row per photo, the original then each model's result,
captioned with the numbers that matter (brightness, clipped pixels, strength)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from zdce_core.adjustments import strength_label
from zdce_core.atomic import atomic_path
from zdce_core.evaluation import THUMBNAIL, ModelReport
from zdce_core.photo_defects import defects_text

CAPTION = 40
GAP = 6
BACKGROUND = (32, 32, 32)
TEXT = (230, 230, 230)


def _tile(pixels: np.ndarray, caption: str) -> Image.Image:
    """``pixels`` centred in a ``THUMBNAIL``² cell with ``caption`` (up to three lines) below."""
    cell = Image.new("RGB", (THUMBNAIL, THUMBNAIL + CAPTION), BACKGROUND)
    img = Image.fromarray(pixels)
    cell.paste(img, ((THUMBNAIL - img.width) // 2, (THUMBNAIL - img.height) // 2))
    ImageDraw.Draw(cell).multiline_text((4, THUMBNAIL + 2), caption, fill=TEXT, spacing=1)
    return cell


def contact_sheet(reports: Sequence[ModelReport]) -> Image.Image:
    """A sheet of every photo scored in all ``reports`` (which kept their thumbnails)."""
    paths = [s.path for s in reports[0].scores if s.path in reports[0].thumbnails]
    by_model = [{s.path: s for s in r.scores} for r in reports]
    rows = []
    for path in paths:
        if not all(
            path in r.thumbnails and path in m for r, m in zip(reports, by_model, strict=True)
        ):
            continue
        first = by_model[0][path]
        tiles = [
            _tile(
                reports[0].thumbnails[path][0],
                f"{path.name[:40]}\nbrightness {first.input_brightness:.2f}, "
                f"clipped {100 * first.input_clipped:.2f}%",
            )
        ]
        for report, scores in zip(reports, by_model, strict=True):
            s = scores[path]
            tiles.append(
                _tile(
                    report.thumbnails[path][1],
                    f"{report.model[:28]}  strength {strength_label(s.strength, s.auto)}\n"
                    f"brightness {s.brightness:.2f}, LOE {s.loe:.0f}\n{defects_text(s.defects)}",
                )
            )
        rows.append(tiles)
    columns = 1 + len(reports)
    width = columns * THUMBNAIL + (columns + 1) * GAP
    height = max(1, len(rows)) * (THUMBNAIL + CAPTION + GAP) + GAP
    sheet = Image.new("RGB", (width, height), BACKGROUND)
    for r, tiles in enumerate(rows):
        for c, tile in enumerate(tiles):
            sheet.paste(tile, (GAP + c * (THUMBNAIL + GAP), GAP + r * (THUMBNAIL + CAPTION + GAP)))
    return sheet


def write_contact_sheet(reports: Sequence[ModelReport], path: Path) -> Path:
    """Write :func:`contact_sheet` as a PNG at ``path`` (atomically)."""
    with atomic_path(path) as tmp:
        contact_sheet(reports).save(tmp, format="PNG")
    return path
