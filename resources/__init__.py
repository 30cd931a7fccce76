"""Files shipped with ModaLens: application icon, desktop entry, AppStream metainfo and style sheets.

The folder is a package so that it travels inside the wheel and the PyInstaller bundle; the same
functions find the files in a source checkout, an installed wheel and a frozen app. Nothing here
imports Qt.
"""

from __future__ import annotations

from pathlib import Path

APP_ID = "io.modalens.ModaLens"
"""Reverse-DNS application id: desktop file name, icon name and AppStream component id."""
APP_NAME = "ModaLens"
ORGANIZATION_NAME = "ModaLens"
ORGANIZATION_DOMAIN = "modalens.io"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
"""Sizes of the rendered PNG icons, in pixels (square)."""
RESOURCE_DIR = Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """The bundled file or folder ``resources/<parts...>``; raises ``FileNotFoundError`` if it is missing."""
    if not parts:
        raise ValueError("resource_path needs at least one path part, e.g. resource_path('style', 'app.qss')")
    path = RESOURCE_DIR.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"bundled resource {'/'.join(parts)!r} not found (looked for {path})")
    return path


def icon_path(size: int | None = None) -> Path:
    """The application icon: the scalable SVG, or the ``size`` x ``size`` PNG (one of :data:`ICON_SIZES`)."""
    if size is None:
        return resource_path("icons", "hicolor", "scalable", "apps", f"{APP_ID}.svg")
    if isinstance(size, bool) or size not in ICON_SIZES:
        raise ValueError(f"no {size!r} px icon; available sizes: {', '.join(map(str, ICON_SIZES))}")
    return resource_path("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")


def icon_files() -> list[Path]:
    """Every rendered PNG of the icon, smallest first, then the SVG: add them all to one ``QIcon``."""
    return [icon_path(size) for size in ICON_SIZES] + [icon_path()]


def desktop_file_path() -> Path:
    """The freedesktop ``.desktop`` entry."""
    return resource_path(f"{APP_ID}.desktop")


def metainfo_path() -> Path:
    """The AppStream metainfo file."""
    return resource_path(f"{APP_ID}.metainfo.xml")
