"""The resources package: paths that exist, icons of the sizes they claim, consistent ids across files."""

from __future__ import annotations

import configparser
import struct
import xml.etree.ElementTree as ET

import pytest

import resources
from resources import (
    APP_ID,
    ICON_SIZES,
    desktop_file_path,
    icon_files,
    icon_path,
    metainfo_path,
    resource_path,
)


def png_size(path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG file"
    return struct.unpack(">II", header[16:24])


def test_every_icon_png_has_the_size_of_its_folder():
    for size in ICON_SIZES:
        path = icon_path(size)
        assert path.parent.parent.name == f"{size}x{size}"
        assert png_size(path) == (size, size)


def test_icon_files_lists_pngs_smallest_first_then_the_svg():
    files = icon_files()
    assert [png_size(p)[0] for p in files[:-1]] == sorted(ICON_SIZES)
    assert files[-1] == icon_path() and files[-1].suffix == ".svg"


def test_svg_icon_is_square_xml():
    root = ET.parse(icon_path()).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = map(float, root.attrib["viewBox"].split())
    assert width == height > 0


def test_unknown_icon_size_and_missing_resource_give_clear_errors():
    with pytest.raises(ValueError, match=r"no 20 px icon; available sizes: 16, 24"):
        icon_path(20)
    with pytest.raises(ValueError):
        icon_path(True)
    with pytest.raises(FileNotFoundError, match=r"'style/nope\.qss' not found"):
        resource_path("style", "nope.qss")
    with pytest.raises(ValueError, match="at least one path part"):
        resource_path()


def test_resource_path_finds_the_style_sheets():
    assert resource_path("style", "app.qss").is_file()
    assert resource_path("style") == resources.RESOURCE_DIR / "style"


def test_desktop_entry_names_the_app_id_icon_and_gui_command():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(desktop_file_path(), encoding="utf-8")
    section = entry["Desktop Entry"]
    assert desktop_file_path().name == f"{APP_ID}.desktop"
    assert section["Icon"] == APP_ID
    assert section["Exec"].split()[:2] == ["modalens", "gui"]
    assert section["Type"] == "Application" and section["Terminal"] == "false"


def test_metainfo_matches_desktop_entry_and_package_version():
    from core import __version__

    root = ET.parse(metainfo_path()).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == desktop_file_path().name
    assert root.findtext("provides/binary") == "modalens"
    assert root.find("releases/release").get("version") == __version__
