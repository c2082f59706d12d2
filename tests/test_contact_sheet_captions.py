"""Contact-sheet captions read as words: "default.safetensors · strength auto 7.0", not
"defaultsafetensors strength auto7.0" (issue 21, item 4)."""

from pathlib import Path

import numpy as np
from PIL import Image

from tests.synthetic import dark_rgb
from zdce_core.contact_sheet import (
    FONT_SIZE,
    GAP,
    MARGIN,
    caption_font,
    result_caption,
    write_contact_sheet,
)
from zdce_core.evaluation import THUMBNAIL, ImageScore, ModelReport
from zdce_core.losses import LossParts
from zdce_core.photo_defects import Defects


def score(path: Path) -> ImageScore:
    return ImageScore(
        path=path,
        losses=LossParts(1.0, 0.1, 0.5, 0.2, 0.2),
        input_brightness=0.06,
        brightness=0.17,
        clipped=0.001,
        cast=0.2,
        input_cast=0.3,
        input_clipped=0.0023,
        loe=519.4,
        strength=7.0,
        auto=True,
        defects=Defects(0.0, 0.05, 8.6),
    )


def word_gaps(strip: np.ndarray, min_width: int = 3) -> int:
    """How many runs of at least ``min_width`` ink-free columns lie between inked ones."""
    inked = (strip.max(axis=(0, 2)) > 90).tolist()
    first, last = inked.index(True), len(inked) - inked[::-1].index(True)
    gaps, run = 0, 0
    for ink in inked[first:last]:
        if ink:
            gaps += run >= min_width
            run = 0
        else:
            run += 1
    return gaps


def test_a_result_caption_separates_the_model_and_the_strength():
    lines = result_caption("default.safetensors", score(Path("a.png")))
    assert lines[0] == "default.safetensors · strength auto 7.0"
    assert lines[1] == "brightness 0.17, LOE 519"
    assert lines[2] == "near-white +0.00%, black lift 0.05, grey cast 8.6"


def test_the_written_sheet_shows_the_spaces_between_words(tmp_path):
    path = tmp_path / "night.png"
    pixels = dark_rgb(240, 320)
    report = ModelReport(
        "default.safetensors", [score(path)], [], thumbnails={path: (pixels, pixels)}
    )
    sheet_path = write_contact_sheet([report], tmp_path / "sheet.png")
    with Image.open(sheet_path) as sheet:
        pixels_of_sheet = np.asarray(sheet.convert("RGB"))
    left = GAP + THUMBNAIL + GAP + MARGIN  # the result's tile, its caption's first line
    top = GAP + THUMBNAIL + 3
    first_line = pixels_of_sheet[top : top + FONT_SIZE + 2, left : left + THUMBNAIL - 2 * MARGIN]
    # "default.safetensors", "·", "strength", "auto", "7.0": four gaps a reader can see
    assert word_gaps(first_line) >= 4
    assert caption_font().getlength(result_caption("m", score(path))[2]) <= THUMBNAIL


def test_a_long_caption_is_cut_to_the_tile(tmp_path):
    path = tmp_path / "night.png"
    pixels = dark_rgb(240, 320)
    long_name = "a-very-long-model-name-from-a-fine-tuning-run-with-many-words.safetensors"
    report = ModelReport(long_name, [score(path)], [], thumbnails={path: (pixels, pixels)})
    with Image.open(write_contact_sheet([report], tmp_path / "sheet.png")) as sheet:
        pixels_of_sheet = np.asarray(sheet.convert("RGB"))
    tile_right = GAP + 2 * THUMBNAIL + GAP
    caption_rows = pixels_of_sheet[GAP + THUMBNAIL :, tile_right : tile_right + GAP]
    assert caption_rows.max() < 90  # nothing drawn past the tile's edge
