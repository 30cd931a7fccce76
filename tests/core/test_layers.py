"""The import contracts in pyproject.toml hold: layers data → models → valuation | mi → strategies →
training → report → cli → app, and core never imports the window or Qt."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", *args], cwd=ROOT, env=env, capture_output=True, text=True)


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
