"""Training strategies, one module each, registered by name in :data:`STRATEGIES`."""

from core.registry import discover
from core.strategies.base import STRATEGIES, Strategy, build_params, create_strategy, describe_params

__all__ = ["STRATEGIES", "Strategy", "build_params", "create_strategy", "describe_params"]

discover(__name__, __path__, skip=lambda name: name == "base")
