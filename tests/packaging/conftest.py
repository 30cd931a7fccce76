"""Shared helpers for the packaging tests: where the repository and its tools are."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def require_tool(name: str, package: str) -> str:
    """Path of command-line tool ``name``; skips the test, naming the package to install, when it is missing."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian/Ubuntu package: {package}; see scripts/system-deps.sh)")
    return path


def modalens_command() -> list[str]:
    """The installed ``modalens`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "modalens"
    if not script.is_file():
        pytest.fail(f"{script} not found: install the project (pip install -e .) into this environment")
    return [str(script)]
