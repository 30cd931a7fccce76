"""Render the ModaLens SVG icon into the PNG sizes a Linux desktop looks for.

Run after editing ``resources/icons/hicolor/scalable/apps/io.modalens.ModaLens.svg``::

    python packaging/render_icons.py            # rewrite resources/icons/hicolor/<n>x<n>/apps/*.png
    python packaging/render_icons.py --out DIR  # write the hicolor tree under DIR instead

The PNGs are committed, so neither the wheel build nor the app needs Qt's SVG module to show the icon.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from resources import APP_ID, ICON_SIZES, icon_path  # noqa: E402


def render_icons(svg: Path, hicolor_dir: Path, sizes: tuple[int, ...] = ICON_SIZES) -> list[Path]:
    """Render ``svg`` at each size into ``hicolor_dir/<n>x<n>/apps/<APP_ID>.png``; return the files written."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG file")
    written = []
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter)
        painter.end()
        target = hicolor_dir / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".tmp")
        if not image.save(str(partial), "PNG"):
            raise OSError(f"{partial}: could not write the {size}x{size} PNG")
        os.replace(partial, target)
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--svg", type=Path, default=icon_path(), help="source SVG (default: the app icon)")
    parser.add_argument("--out", type=Path, default=REPO / "resources" / "icons" / "hicolor",
                        help="hicolor folder to write into (default: resources/icons/hicolor)")
    args = parser.parse_args(argv)
    for path in render_icons(args.svg, args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
