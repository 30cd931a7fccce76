"""`pip wheel .` from a copy of the sources gives a wheel with the resources and the `modalens` command."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from resources import APP_ID, ICON_SIZES
from tests.packaging.conftest import REPO

PACKAGES = ("core", "app", "resources")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """Build the wheel from a clean copy of the checkout (build leftovers stay out of the working tree)."""
    source = tmp_path_factory.mktemp("source")
    for path in REPO.iterdir():
        if path.is_file() and not path.name.startswith("."):
            shutil.copy(path, source / path.name)
    for package in PACKAGES:
        shutil.copytree(REPO / package, source / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation", "-q", "-w", str(out)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("modalens-*.whl")
    with zipfile.ZipFile(built) as archive:
        yield archive


def test_wheel_contains_icons_desktop_entry_metainfo_and_styles(wheel):
    names = set(wheel.namelist())
    expected = {f"resources/icons/hicolor/{size}x{size}/apps/{APP_ID}.png" for size in ICON_SIZES}
    expected |= {
        f"resources/icons/hicolor/scalable/apps/{APP_ID}.svg",
        f"resources/{APP_ID}.desktop",
        f"resources/{APP_ID}.metainfo.xml",
        "resources/__init__.py",
    }
    expected |= {f"resources/style/{p.name}" for p in (REPO / "resources" / "style").iterdir() if p.is_file()}
    assert expected <= names, sorted(expected - names)


def test_wheel_files_are_byte_identical_to_the_checkout(wheel):
    for name in (f"resources/icons/hicolor/512x512/apps/{APP_ID}.png", f"resources/{APP_ID}.desktop"):
        assert wheel.read(name) == (REPO / name).read_bytes()


def test_wheel_holds_only_the_app_packages_and_declares_the_command(wheel):
    top_level = {name.split("/")[0] for name in wheel.namelist() if not name.split("/")[0].endswith(".dist-info")}
    assert top_level == set(PACKAGES)
    (entry_points,) = [n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt")]
    assert "modalens = core.cli.main:main" in wheel.read(entry_points).decode()
