"""The view registry: every registered view builds offscreen, and the window docks each one, a new one too."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from app.controller import AppController
from app.prompts import AutoPrompter
from app.session import Session
from app.views.base import BOTTOM, LEFT, RIGHT, View, ViewContext
from app.views.registry import VIEWS


def test_every_registered_view_builds_offscreen(qtbot, settings):
    session = Session()
    prompter = AutoPrompter()
    controller = AppController(session, settings, prompter)
    context = ViewContext(session, controller, prompter, settings)
    assert len(VIEWS) >= 8
    for key, view_class in VIEWS.items():
        view = view_class.build(context)
        qtbot.addWidget(view)
        assert isinstance(view, QWidget) and isinstance(view, View)
        assert view.key == key and view.title and view.area in (LEFT, RIGHT, BOTTOM)
        view.shutdown()
    controller.shutdown()


def test_the_window_has_one_dock_per_registered_view(make_window):
    window = make_window()
    assert list(window.docks) == list(VIEWS)
    for key, dock in window.docks.items():
        assert dock.objectName() == f"{key}Dock" and dock.windowTitle() == VIEWS[key].title
        assert dock.widget() is window.views[key]
        assert window.dockWidgetArea(dock) == VIEWS[key].area


class _Notes(View, QLabel):
    key = "notes"
    title = "Notes"
    area = BOTTOM
    shown_at_start = False

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__("no notes yet", parent)


def test_a_view_added_to_the_registry_gets_a_dock_and_a_menu_entry(make_window, monkeypatch):
    monkeypatch.setitem(VIEWS, "notes", _Notes)
    window = make_window()
    dock = window.docks["notes"]
    assert isinstance(dock.widget(), _Notes)
    assert not dock.isVisible()  # not shown at start, but listed in View
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert "Notes" in [a.text() for a in view_menu.actions()]
    window.reset_layout()
    assert not dock.isVisible() and window.docks["curves"].isVisible()
