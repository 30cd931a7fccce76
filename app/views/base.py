"""What a docked view declares, and what it is built from.

A view is a widget class that also inherits :class:`View` and says its ``key`` (the dock's name, kept in
the saved layout), ``title``, dock ``area`` and whether it is ``shown_at_start``. The window builds one
dock per entry of :data:`app.views.registry.VIEWS`, each view through ``build(context)``: adding a view
is its own module plus one registry line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.views.lazy import RefreshWhenVisible
from app.views.ports import ViewController

if TYPE_CHECKING:
    from app.prompts import Prompter
    from app.session import Session
    from app.settings import AppSettings
    from app.theme import Theme

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
BOTTOM = Qt.DockWidgetArea.BottomDockWidgetArea


@dataclass(frozen=True)
class ViewContext:
    """What the window hands each view it builds."""

    session: Session
    controller: ViewController
    prompter: Prompter
    settings: AppSettings


if TYPE_CHECKING:  # to the checker a view is the widget it is always mixed into; at run time a plain mixin
    _Widget = QWidget
else:
    _Widget = object


class View(_Widget):
    """A docked view's declarations and hooks; list it before ``QWidget`` among the bases."""

    key: ClassVar[str]
    title: ClassVar[str]
    area: ClassVar[Qt.DockWidgetArea]
    shown_at_start: ClassVar[bool] = True

    @classmethod
    def build(cls, context: ViewContext) -> View:
        """The view for the window's ``context``, wired to the controller where it needs to be."""
        return cls(context.session)  # type: ignore[arg-type]  # a view without its own build takes the session

    def refresh_when_visible(self, refresh: Callable[[], None]) -> RefreshWhenVisible:
        """A refresher that runs ``refresh`` only while this view is visible (else once it is shown)."""
        return RefreshWhenVisible(self, refresh)

    def theme_changed(self, theme: Theme) -> None:
        """The window switched palette (the widget's own palette change arrives as a Qt event)."""

    def shutdown(self) -> None:
        """The window is closing: stop timers and threads."""
