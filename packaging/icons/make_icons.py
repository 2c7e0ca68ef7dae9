"""Renders the app icon (sp-desktop.svg) to the .png, .ico and .icns files the builds embed.

Run after editing the SVG: `python packaging/icons/make_icons.py`. Needs PySide6 (QtSvg) and
Pillow, both in the development environment; the outputs are committed, so builds need neither.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "sp-desktop.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
ICNS_SIZES = (16, 32, 64, 128, 256, 512, 1024)


def render(size: int) -> Image.Image:
    """One square RGBA rendering of the SVG, drawn by Qt at exactly this size (no resampling)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["make_icons"])
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    QSvgRenderer(str(SOURCE)).render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(data.data()))).convert("RGBA")


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    images = {size: render(size) for size in PNG_SIZES}
    (HERE / "png").mkdir(exist_ok=True)
    for size, image in images.items():
        image.save(HERE / "png" / f"sp-desktop-{size}.png", optimize=True)
    images[256].save(HERE / "sp-desktop.png", optimize=True)
    largest = images[max(ICO_SIZES)]
    largest.save(
        HERE / "sp-desktop.ico",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    images[1024].save(
        HERE / "sp-desktop.icns", append_images=[images[s] for s in ICNS_SIZES if s != 1024]
    )
    print(f"Wrote icons from {SOURCE.name} into {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
