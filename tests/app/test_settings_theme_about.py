"""Preferences, palettes and the About dialog."""

from __future__ import annotations

import json

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from app.about import AboutDialog, versions
from app.settings import MAX_RECENT, AppSettings
from app.theme import PALETTES, apply_theme, load_theme, qt_palette, style_sheet
from resources import resource_path


def test_recent_files_are_most_recent_first_without_duplicates(tmp_path):
    settings = AppSettings(tmp_path / "s.ini")
    assert settings.recent_files() == []
    for i in range(MAX_RECENT + 3):
        settings.add_recent("dataset", tmp_path / f"d{i}")
    settings.add_recent("report", tmp_path / "r.h5")
    settings.add_recent("dataset", tmp_path / "d5")
    recent = settings.recent_files()
    assert len(recent) == MAX_RECENT
    assert [(r.kind, r.path) for r in recent[:2]] == [("dataset", str(tmp_path / "d5")), ("report", str(tmp_path / "r.h5"))]
    assert len({r.path for r in recent}) == MAX_RECENT
    with pytest.raises(ValueError, match="kind"):
        settings.add_recent("movie", tmp_path)
    settings.sync()
    assert AppSettings(tmp_path / "s.ini").recent_files() == recent
    settings.clear_recent()
    assert settings.recent_files() == []


def test_folders_and_palette_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path / "data"))
    settings = AppSettings(tmp_path / "s.ini")
    assert settings.runs_dir == tmp_path / "data" / "runs"
    assert settings.palette == "light"
    settings.runs_dir = tmp_path / "elsewhere"
    settings.palette = "dark"
    settings.sync()
    again = AppSettings(tmp_path / "s.ini")
    assert again.runs_dir == tmp_path / "elsewhere" and again.palette == "dark"


@pytest.mark.parametrize("name", PALETTES)
def test_palettes_load_and_apply(qtbot, name):
    theme = load_theme(name)
    data = json.loads(resource_path("style", f"{name}.json").read_text())
    palette = qt_palette(theme)
    for role, color in data["colors"].items():
        assert palette.color(getattr(QPalette.ColorRole, role)) == QColor(color)
    sheet = style_sheet(theme)
    assert "$" not in sheet and theme.accent in sheet
    app = QApplication.instance()
    before = app.palette()
    try:
        apply_theme(app, theme)
        assert app.palette().color(QPalette.ColorRole.Window) == QColor(data["colors"]["Window"])
    finally:
        app.setPalette(before)
        app.setStyleSheet("")


def test_dark_text_is_light_and_light_text_is_dark():
    dark, light = load_theme("dark"), load_theme("light")
    assert QColor(dark.roles["WindowText"]).lightness() > QColor(dark.roles["Window"]).lightness()
    assert QColor(light.roles["WindowText"]).lightness() < QColor(light.roles["Window"]).lightness()
    with pytest.raises(ValueError, match="unknown palette"):
        load_theme("sepia")


def test_about_lists_the_versions(qtbot):
    found = versions()
    for name in ("ModaLens", "Python", "torch", "PySide6", "Qt", "pyqtgraph", "NumPy", "h5py", "OpenCV"):
        assert found[name] and found[name] != "not installed", name
    import cv2
    import torch

    assert found["torch"] == torch.__version__ and found["OpenCV"] == cv2.__version__
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    table = dialog.table
    shown = {table.item(r, 0).text(): table.item(r, 1).text() for r in range(table.rowCount())}
    assert shown == found


def test_application_identity_and_icon(qapp):
    from app.main import create_application
    from resources import APP_ID, ICON_SIZES, ORGANIZATION_DOMAIN

    app = create_application()
    assert app is qapp
    assert app.desktopFileName() == APP_ID
    assert app.organizationDomain() == ORGANIZATION_DOMAIN and app.applicationName() == "ModaLens"
    icon = app.windowIcon()
    assert not icon.isNull()
    assert {size.width() for size in icon.availableSizes()} >= set(ICON_SIZES)
