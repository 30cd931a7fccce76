"""Packages' public names (core/exports.py): each lazily exported name is the object its module defines,
the TYPE_CHECKING imports list exactly the exported names, and importing a package loads none of them."""

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.exports import lazy_exports

CORE = Path(__file__).resolve().parents[2] / "core"


def _lazy_packages() -> dict[str, tuple[dict[str, tuple[str, ...]], set[tuple[str, str]]]]:
    """{package: (the export table, {(module, name) imported under TYPE_CHECKING})} from the sources."""
    found = {}
    for init in sorted(CORE.rglob("__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        package = ".".join(init.parent.relative_to(CORE.parent).parts)
        table = None
        typed: set[tuple[str, str]] = set()
        for node in tree.body:
            if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
                for statement in node.body:
                    assert isinstance(statement, ast.ImportFrom), ast.dump(statement)
                    typed |= {(statement.module, alias.name) for alias in statement.names}
                for statement in node.orelse:  # the run-time branch: the export table
                    call = statement.value if isinstance(statement, ast.Assign) else None
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == "lazy_exports":
                        table = ast.literal_eval(call.args[1])
        if table is not None:
            found[package] = (table, typed)
    return found


PACKAGES = _lazy_packages()


def test_the_packages_the_window_uses_export_lazily():
    assert {"core.data", "core.runs", "core.run_files", "core.training", "core.valuation", "core.experiments"} <= set(
        PACKAGES
    )


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_type_checking_imports_list_exactly_the_exports(package):
    table, typed = PACKAGES[package]
    exported = {(f"{package}.{module}", name) for module, names in table.items() for name in names}
    assert typed == exported


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_each_export_is_its_modules_object_and_no_submodule_shadows_it(package):
    table, _ = PACKAGES[package]
    imported = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(imported.__path__)}
    assert sorted(imported.__all__) == sorted(name for names in table.values() for name in names)
    for module, names in table.items():
        for name in names:
            assert name not in submodules
            assert getattr(imported, name) is getattr(importlib.import_module(f"{package}.{module}"), name)
            assert name in dir(imported)


def test_importing_a_package_loads_none_of_its_modules():
    code = (
        "import sys, core.runs, core.data, core.training, core.valuation\n"
        "loaded = [m for m in sys.modules if m.startswith(('core.runs.', 'core.data.', 'core.training.',"
        " 'core.valuation.'))]\n"
        "assert not loaded, loaded\n"
        "from core.runs import RunFolder\n"
        "assert 'core.runs.folder' in sys.modules and 'core.runs.start' not in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=CORE.parent, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_an_unknown_name_is_an_attribute_error():
    import core.runs

    with pytest.raises(AttributeError, match="'core.runs' has no attribute 'start_runs'"):
        core.runs.start_runs  # noqa: B018


def test_a_name_that_is_also_a_submodule_or_exported_twice_is_refused():
    with pytest.raises(ValueError, match="'start' is also one of its submodules"):
        lazy_exports("core.runs", {"start": ("start",)})
    with pytest.raises(ValueError, match="'RunFolder' exported from both folder and start"):
        lazy_exports("core.runs", {"folder": ("RunFolder",), "start": ("RunFolder",)})


def test_the_checker_refuses_a_misspelt_exported_name(tmp_path):
    """The exports are visible to mypy only as the TYPE_CHECKING imports: a typo is an error, not Any."""
    pytest.importorskip("mypy")
    probe = tmp_path / "probe.py"
    probe.write_text("from core.runs import start_runs\nfrom core.runs import start_run\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--follow-imports=skip", str(probe), "core/runs/__init__.py"],
        cwd=CORE.parent, capture_output=True, text=True,
    )
    assert result.returncode == 1 and 'Module "core.runs" has no attribute "start_runs"' in result.stdout
    assert "Found 1 error" in result.stdout  # the right name passes
