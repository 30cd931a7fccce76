"""Dataset sources, one module each, registered by name in :data:`SOURCES`: each reads one dataset layout
as distributed (see ``base.Source``); ``writer.import_dataset`` turns what it finds into a dataset folder."""

from core.data.sources.base import SOURCES, Source
from core.registry import discover

__all__ = ["SOURCES", "Source"]

discover(__name__, __path__, skip=lambda name: name in {"base", "splits", "writer"})
