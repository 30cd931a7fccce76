"""A package's public names, each imported from its module on first use (PEP 562).

A package lists its public names as imports under ``if TYPE_CHECKING:``, which type checkers and the
import contracts read, and under ``else:`` declares ``__getattr__, __dir__, __all__ =
lazy_exports(__name__, {module: names})``; a test holds the two lists equal. The checker thus sees only
the real names (a misspelt one is an error, not ``Any``), and importing one module of the package never
loads the others. ``app`` imports core only through such package names (``from core.runs import
start_run``), an import contract says so.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_exports(
    package: str, exports: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """``(__getattr__, __dir__, __all__)`` for ``package`` from ``{submodule: (name, ...)}``.

    A name that is also one of the listed submodules is refused: Python binds a submodule to the
    package's attribute of that name when it is imported, which would shadow the exported object.
    """
    home: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in exports:
                raise ValueError(f"{package}: exported name {name!r} is also one of its submodules")
            if name in home:
                raise ValueError(f"{package}: {name!r} exported from both {home[name]} and {module}")
            home[name] = module

    def __getattr__(name: str) -> Any:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(home))

    return __getattr__, __dir__, sorted(home)
