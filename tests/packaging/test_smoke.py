"""`modalens gui --smoke` starts the app offscreen and exits 0: installed, and as the PyInstaller build."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from core.demo import generate_demo
from tests.packaging.conftest import REPO, modalens_command

BUILT_APP = REPO / "dist" / "ModaLens" / "modalens"


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory) -> Path:
    return generate_demo(tmp_path_factory.mktemp("data") / "vectors", preset="vectors", samples=30)


def smoke(command: list[str], data: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"}
    return subprocess.run([*command, "gui", "--smoke", "--data", str(data)], capture_output=True, text=True,
                          timeout=600, env=env, cwd=cwd)


def failure(result: subprocess.CompletedProcess) -> str:
    """Why a smoke run failed: its output, and the signal when it crashed."""
    crash = f"killed by signal {-result.returncode}\n" if result.returncode < 0 else ""
    return f"{crash}stdout:\n{result.stdout}\nstderr:\n{result.stderr}"


def test_installed_command_runs_the_smoke_check(tiny_dataset, tmp_path):
    result = smoke(modalens_command(), tiny_dataset, cwd=tmp_path)
    assert result.returncode == 0, failure(result)


@pytest.mark.skipif(not BUILT_APP.is_file(), reason="no PyInstaller build: run packaging/build.sh first")
def test_built_app_runs_the_smoke_check(tiny_dataset, tmp_path):
    result = smoke([str(BUILT_APP)], tiny_dataset, cwd=tmp_path)
    assert result.returncode == 0, failure(result)


@pytest.mark.skipif(not BUILT_APP.is_file(), reason="no PyInstaller build: run packaging/build.sh first")
def test_built_app_carries_resources_and_the_multimedia_plugin():
    from resources import APP_ID, ICON_SIZES

    internal = BUILT_APP.parent / "_internal"
    bundled = internal / "resources"
    for size in ICON_SIZES:
        assert (bundled / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png").is_file()
    assert (bundled / f"{APP_ID}.desktop").is_file() and (bundled / f"{APP_ID}.metainfo.xml").is_file()
    assert (bundled / "style" / "app.qss").is_file()
    assert list(internal.glob("PySide6/Qt/plugins/multimedia/*.so")), "Qt multimedia plugin not bundled"
