"""The import contracts in pyproject.toml hold (the layers of core and of app, no circles between
siblings, core and the window's state free of Qt), and a forbidden import breaks them."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(*args: str, root: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=root, env=env, capture_output=True, text=True)


def test_the_layer_contracts_are_kept():
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


def test_a_broken_contract_is_reported(tmp_path):
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["core"]\n\n[[tool.importlinter.contracts]]\n'
        'name = "data below training, turned upside down"\ntype = "layers"\n'
        'layers = ["core.data", "core.training"]\n',
        encoding="utf-8",
    )
    result = _lint("--config", str(config))
    assert result.returncode == 1 and "BROKEN" in result.stdout and "core.training" in result.stdout


def test_imports_made_in_every_app_package_are_seen(tmp_path):
    """app.views and app.widgets are packages the linter reads: a contract they break is reported."""
    config = tmp_path / "contracts.toml"
    config.write_text(
        '[tool.importlinter]\nroot_packages = ["core", "app"]\ninclude_external_packages = true\n\n'
        '[[tool.importlinter.contracts]]\nname = "no plotting in the panes (broken on purpose)"\n'
        'type = "forbidden"\nsource_modules = ["app.widgets", "app.views"]\nforbidden_modules = ["pyqtgraph"]\n',
        encoding="utf-8",
    )
    result = _lint("--config", str(config))
    assert result.returncode == 1 and "BROKEN" in result.stdout
    assert "app.views.curves -> pyqtgraph" in result.stdout and "app.views.player -> pyqtgraph" in result.stdout


def test_the_projects_contracts_catch_forbidden_imports(tmp_path):
    """A copy of the project with an arrow up the layers in a view and in core, one made only for
    annotations, a circle between two sibling modules, a module of core and one of app given no
    layer, and a view reaching past a package's public names into its module: the real contracts report
    each."""
    for package in ("core", "app"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    added = {
        "app/views/log.py": "import app.window",
        "app/views/lazy.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import app.controller",
        "core/config.py": "import core.data",
        "core/data/kinds/flow_layout.py": "import core.data.kinds.flow",
        "core/stray.py": "",
        "app/stray.py": "",
        "app/views/filters.py": "from core.data.media import MediaError",
    }
    for name, line in added.items():
        path = tmp_path / name
        path.write_text((path.read_text(encoding="utf-8") if path.exists() else "") + f"\n{line}\n", encoding="utf-8")
    result = _lint(root=tmp_path)
    assert result.returncode == 1, result.stdout
    for reported in ("app.views.log -> app.window", "app.views.lazy -> app.controller", "core.config -> core.data", ".flow_layout -> .flow", "core.stray",
                     "app.stray", "app.views.filters -> core.data.media"):
        assert reported in result.stdout, reported
