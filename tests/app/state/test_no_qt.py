"""app.state imports no Qt: every module of it imports in a fresh interpreter where Qt cannot be imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
BLOCKED = ("PySide6", "pyqtgraph", "shiboken6")

SCRIPT = f"""
import importlib, pkgutil, sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {BLOCKED!r}:
            raise ImportError(f"{{name}} is blocked: app.state must not import Qt")
        return None

sys.meta_path.insert(0, Block())
import app.state
names = [m.name for m in pkgutil.walk_packages(app.state.__path__, "app.state.")]
for name in names:
    importlib.import_module(name)
assert not [m for m in sys.modules if m.split(".")[0] in {BLOCKED!r}]
print(len(names))
"""


def test_every_state_module_imports_with_qt_blocked():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) >= 7  # the modules are really walked


def test_the_blocker_catches_a_qt_import():
    probe = SCRIPT.replace("import app.state\n", "import app.state\nimport app.session\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "PySide6 is blocked" in done.stderr
