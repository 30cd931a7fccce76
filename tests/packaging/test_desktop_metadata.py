"""The desktop entry and AppStream metainfo pass the freedesktop validators; the menu entry installs."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from resources import APP_ID, ICON_SIZES, desktop_file_path, metainfo_path
from tests.packaging.conftest import REPO, require_tool

INSTALLER = REPO / "packaging" / "install-desktop-entry.sh"


def run(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_desktop_file_passes_desktop_file_validate():
    tool = require_tool("desktop-file-validate", "desktop-file-utils")
    result = run(tool, str(desktop_file_path()))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "error" not in result.stdout and "warning" not in result.stdout, result.stdout


def test_metainfo_passes_appstreamcli_validate():
    tool = require_tool("appstreamcli", "appstream")
    result = run(tool, "validate", "--no-net", str(metainfo_path()))
    assert result.returncode == 0, result.stdout + result.stderr


def test_desktop_file_validate_rejects_a_broken_entry(tmp_path):
    tool = require_tool("desktop-file-validate", "desktop-file-utils")
    broken = tmp_path / f"{APP_ID}.desktop"
    broken.write_text(desktop_file_path().read_text().replace("Type=Application\n", ""))
    assert run(tool, str(broken)).returncode != 0


def install_entry(script: Path, data_home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "XDG_DATA_HOME": str(data_home)}
    return run("bash", str(script), *args, env=env)


def exec_line(desktop_file: Path) -> str:
    return next(line for line in desktop_file.read_text().splitlines() if line.startswith("Exec="))


def test_menu_entry_from_a_checkout_starts_the_pip_installed_command(tmp_path):
    result = install_entry(INSTALLER, tmp_path)
    assert result.returncode == 0, result.stderr
    entry = tmp_path / "applications" / f"{APP_ID}.desktop"
    assert exec_line(entry) == 'Exec="modalens" gui'
    for size in ICON_SIZES:
        assert (tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (tmp_path / "metainfo" / f"{APP_ID}.metainfo.xml").is_file()
    if shutil.which("desktop-file-validate"):
        check = run("desktop-file-validate", str(entry))
        assert check.returncode == 0, check.stdout

    result = install_entry(INSTALLER, tmp_path, "--uninstall")
    assert result.returncode == 0, result.stderr
    assert not entry.exists()
    assert not list(tmp_path.rglob(f"{APP_ID}.*"))


def test_menu_entry_from_a_built_app_folder_starts_its_executable(tmp_path):
    bundle = tmp_path / "My Apps" / "ModaLens"
    shutil.copytree(REPO / "resources", bundle / "_internal" / "resources",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(INSTALLER, bundle / INSTALLER.name)
    data_home = tmp_path / "share"
    result = install_entry(bundle / INSTALLER.name, data_home)
    assert result.returncode == 0, result.stderr
    entry = data_home / "applications" / f"{APP_ID}.desktop"
    assert exec_line(entry) == f'Exec="{bundle}/modalens" gui'
    assert f"TryExec={bundle}/modalens" in entry.read_text().splitlines()


def test_menu_entry_refuses_an_unknown_argument(tmp_path):
    result = install_entry(INSTALLER, tmp_path, "--bogus")
    assert result.returncode == 2
    assert "unknown argument '--bogus'" in result.stderr
    assert not (tmp_path / "applications").exists()
