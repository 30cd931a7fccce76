"""core/ must never load Qt or pyqtgraph: importing every module of it in a fresh interpreter proves it."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import core

FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "qtpy", "shiboken6")


def core_modules() -> list[str]:
    """Every importable module of core (``__main__`` modules are programs: importing one runs it)."""
    root = Path(core.__file__).parent
    names = (m.name for m in pkgutil.walk_packages([str(root)], prefix="core."))
    return sorted(name for name in names if not name.endswith(".__main__"))


def test_core_has_modules():
    assert {"core.training.engine", "core.valuation.valuate", "core.cli.main"} <= set(core_modules())


def test_importing_all_of_core_loads_no_qt():
    script = (
        "import importlib, sys\n"
        f"for name in {core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"core imported Qt modules: {result.stdout.strip()}"
