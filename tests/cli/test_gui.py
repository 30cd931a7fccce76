"""`modalens gui` finds the window through the modalens.window entry point, not an import of app."""

import argparse

from core.cli import gui


def test_the_window_entry_point_is_installed():
    (entry,) = gui.entry_points(group=gui.WINDOW_ENTRY_POINTS, name="run")
    assert entry.value == "app.main:run_app"


def test_without_a_window_gui_says_to_reinstall(monkeypatch, capsys):
    monkeypatch.setattr(gui, "entry_points", lambda **_: ())
    args = argparse.Namespace(data=None, report=None, smoke=True, screenshot=None, size=None)
    assert gui.run(args) == 1
    assert "modalens.window:run" in capsys.readouterr().err
