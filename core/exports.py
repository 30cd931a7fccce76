"""A package's public names, each imported from its module on first use (PEP 562).

A package declares ``__getattr__, __dir__, __all__ = lazy_exports(__name__, {module: names})`` and repeats
the same imports under ``if TYPE_CHECKING:`` for type checkers and import contracts; a test holds the two
lists equal. Importing one module of the package therefore never loads the others, and callers outside
the package import only the package (``from core.runs import start_run``).
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
