"""Before/after contact sheets: one row per photo, the original then each model's result,
captioned with the numbers that matter (brightness, clipped pixels, strength)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from zdce_core.adjustments import strength_label
from zdce_core.atomic import atomic_path
from zdce_core.evaluation import THUMBNAIL, ImageScore, ModelReport
from zdce_core.photo_defects import defects_text

FONT_SIZE = 13
"""Pixels: Pillow's built-in font at its own default size (10) merges words and drops dots
("defaultsafetensors strength auto7.0"); at 13 the spaces and dots show."""
LINE_SPACING = 3
CAPTION_LINES = 3
CAPTION = CAPTION_LINES * (FONT_SIZE + LINE_SPACING) + 6
MARGIN = 4
GAP = 6
BACKGROUND = (32, 32, 32)
TEXT = (230, 230, 230)
SEPARATOR = " · "


def caption_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The captions' font: Pillow's built-in one (no system font needed) at ``FONT_SIZE``."""
    return ImageFont.load_default(size=FONT_SIZE)


def fitted(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: int) -> str:
    """``text`` cut with "…" so that it is at most ``width`` pixels long in ``font``."""
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


def input_caption(path: Path, score: ImageScore) -> list[str]:
    """The lines under a photo: its name, then its brightness and clipped pixels."""
    return [
        path.name,
        f"brightness {score.input_brightness:.2f}, clipped {100 * score.input_clipped:.2f}%",
    ]


def result_caption(model: str, score: ImageScore) -> list[str]:
    """The lines under a model's result: ``"default.safetensors · strength auto 7.0"``, then
    brightness and lightness-order error, then the defects measured."""
    return [
        f"{model}{SEPARATOR}strength {strength_label(score.strength, score.auto)}",
        f"brightness {score.brightness:.2f}, LOE {score.loe:.0f}",
        defects_text(score.defects),
    ]


def _tile(pixels: np.ndarray, lines: list[str]) -> Image.Image:
    """``pixels`` centred in a ``THUMBNAIL``² cell with ``lines`` (up to three) below, each
    cut with "…" to the cell's width."""
    cell = Image.new("RGB", (THUMBNAIL, THUMBNAIL + CAPTION), BACKGROUND)
    img = Image.fromarray(pixels)
    cell.paste(img, ((THUMBNAIL - img.width) // 2, (THUMBNAIL - img.height) // 2))
    font = caption_font()
    text = "\n".join(fitted(line, font, THUMBNAIL - 2 * MARGIN) for line in lines)
    ImageDraw.Draw(cell).multiline_text(
        (MARGIN, THUMBNAIL + 3), text, fill=TEXT, font=font, spacing=LINE_SPACING
    )
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
        tiles = [_tile(reports[0].thumbnails[path][0], input_caption(path, first))]
        for report, scores in zip(reports, by_model, strict=True):
            tiles.append(
                _tile(report.thumbnails[path][1], result_caption(report.model, scores[path]))
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
