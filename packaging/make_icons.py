"""Draw the application icon (a dark square whose light-enhancement curve lifts it into the
light) and write it as PNG, ICO and ICNS into resources/icons/. Run: python packaging/make_icons.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

SIZE = 1024
OUT = Path(__file__).resolve().parent.parent / "resources" / "icons"


def draw() -> Image.Image:
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
    t = np.clip((xx + (1 - yy)) / 2, 0, 1)  # dark bottom-left → bright top-right
    dark, bright = np.array([12, 16, 38]), np.array([255, 196, 84])
    curve_t = t + 0.8 * t * (1 - t)  # the picture itself brightened by one LE curve
    rgb = dark + (bright - dark) * curve_t[..., None] ** 1.6
    img = Image.fromarray(rgb.astype(np.uint8)).convert("RGBA")
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rounded_rectangle((40, 40, SIZE - 40, SIZE - 40), radius=200, fill=255)
    img.putalpha(mask)
    glow = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    d = ImageDraw.Draw(glow)
    for alpha_curve, radius, colour in (
        (0.0, 7, (255, 255, 255, 120)),
        (0.9, 24, (255, 255, 255, 255)),
    ):
        u = np.linspace(0.0, 1.0, 600)
        v = u + alpha_curve * u * (1 - u)  # identity, and the curve that lifts it
        for x, y in zip(0.12 + 0.76 * u, 0.88 - 0.76 * v, strict=True):  # a round brush
            cx, cy = x * SIZE, y * SIZE
            d.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=colour)
    d.ellipse((0.70 * SIZE, 0.10 * SIZE, 0.86 * SIZE, 0.26 * SIZE), fill=(255, 244, 200, 255))
    img.alpha_composite(glow.filter(ImageFilter.GaussianBlur(1.5)))
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon = draw()
    icon.resize((256, 256), Image.LANCZOS).save(OUT / "zdce.png")
    icon.save(
        OUT / "zdce.ico", sizes=[(16, 16), (32, 32), (48, 48), (64, 64), (128, 128), (256, 256)]
    )
    icon.resize((512, 512), Image.LANCZOS).save(OUT / "zdce.icns")


if __name__ == "__main__":
    main()
