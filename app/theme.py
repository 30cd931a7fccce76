"""Light and dark looks: the Qt palette, the shared style sheet, plot colours and the window icon.

Palettes are JSON files in ``resources/style`` (``light.json``, ``dark.json``) with the colour of each
``QPalette`` role, plot colours, run-state colours and log-level colours; ``app.qss`` is the style
sheet, with ``$name`` placeholders filled from the palette.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from string import Template

import pyqtgraph as pg
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from resources import icon_files, resource_path

PALETTES = ("light", "dark")


@dataclass(frozen=True)
class Theme:
    """The colours of one look, as read from its palette file."""

    name: str
    roles: dict[str, str]
    disabled: dict[str, str]
    plot_background: str
    plot_foreground: str
    accent: str
    banner: dict[str, str]
    states: dict[str, str]
    log: dict[str, str]

    def state_color(self, state: str) -> QColor:
        return QColor(self.states.get(state, self.plot_foreground))

    def log_color(self, level: str) -> QColor:
        return QColor(self.log.get(level, self.log.get("info", self.plot_foreground)))


def load_theme(name: str) -> Theme:
    """Read ``resources/style/<name>.json``; raises ``ValueError`` for an unknown or broken palette."""
    if name not in PALETTES:
        raise ValueError(f"unknown palette {name!r}; available: {', '.join(PALETTES)}")
    try:
        path = resource_path("style", f"{name}.json")
    except FileNotFoundError as exc:
        raise ValueError(str(exc)) from None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Theme(
            name=name,
            roles=dict(data["colors"]),
            disabled=dict(data.get("disabled", {})),
            plot_background=data["plot"]["background"],
            plot_foreground=data["plot"]["foreground"],
            accent=data["accent"],
            banner=dict(data["banner"]),
            states=dict(data["states"]),
            log=dict(data["log"]),
        )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a valid palette file ({type(exc).__name__}: {exc})") from None


def qt_palette(theme: Theme) -> QPalette:
    palette = QPalette()
    for role, color in theme.roles.items():
        palette.setColor(getattr(QPalette.ColorRole, role), QColor(color))
    for role, color in theme.disabled.items():
        palette.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor(color))
    return palette


def style_sheet(theme: Theme) -> str:
    path = resource_path("style", "app.qss")
    accent = QColor(theme.accent)
    return Template(path.read_text(encoding="utf-8")).safe_substitute(
        accent=theme.accent,
        accent_hover=accent.lighter(115).name(),
        accent_disabled=theme.roles.get("Mid", accent.name()),
        banner_bg=theme.banner["background"],
        banner_border=theme.banner["border"],
        banner_text=theme.banner["text"],
    )


def apply_theme(app: QApplication, theme: Theme, accented: tuple[QWidget, ...] = ()) -> None:
    """Make ``theme`` the look of the application (plots follow the palette when it changes).

    The style sheet goes only to the ``accented`` widgets (and their children): an application-wide
    sheet would make Qt style every widget through it, which costs time on each switch and each paint.
    """
    if app.style().name().lower() != "fusion":
        app.setStyle("Fusion")
    app.setPalette(qt_palette(theme))
    sheet = style_sheet(theme)
    for widget in accented:
        widget.setStyleSheet(sheet)
    pg.setConfigOptions(background=theme.plot_background, foreground=theme.plot_foreground, antialias=True)


def app_icon() -> QIcon:
    """The application icon: every rendered PNG size plus the SVG, so each place picks a sharp one."""
    icon = QIcon()
    for path in icon_files():
        icon.addFile(str(path))
    return icon
