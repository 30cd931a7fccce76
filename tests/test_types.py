"""mypy, configured in pyproject.toml ([tool.mypy]), finds no type error in core and app, and would report one."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("mypy") is None, reason="mypy is not installed (it is in the dev extra)"
)


def _mypy(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True)


def test_core_has_no_type_errors():
    result = _mypy()
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_type_error_is_reported(tmp_path):
    wrong = tmp_path / "wrong.py"
    wrong.write_text('from core.config import RunConfig\n\nRunConfig().data.path = 3\n', encoding="utf-8")
    result = _mypy(str(wrong))
    assert result.returncode == 1 and "wrong.py:3: error" in result.stdout
