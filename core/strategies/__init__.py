"""Training strategies, one module each, registered by name in :data:`STRATEGIES`."""

import importlib
import pkgutil

from core.strategies.base import STRATEGIES, Strategy, create_strategy, describe_params

for _module in pkgutil.iter_modules(__path__):
    if _module.name != "base":
        importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["STRATEGIES", "Strategy", "create_strategy", "describe_params"]
