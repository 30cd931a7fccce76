"""Dataset sources, one module each, registered by name in :data:`SOURCES`: each reads one dataset layout
as distributed (see ``base.Source``); ``writer.import_dataset`` turns what it finds into a dataset folder."""

import importlib
import pkgutil

from core.data.sources.base import SOURCES, Source

_HELPERS = {"base", "splits", "writer"}

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in _HELPERS:
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["SOURCES", "Source"]
