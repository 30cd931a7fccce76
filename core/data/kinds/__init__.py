"""Modality kinds, one module each, registered in :data:`KINDS` (see ``base.Kind``); each kind's
``priority`` breaks ties of the manifest's extension vote (video, audio, vector, image, flow).

Every module of this package is imported except the ``*_decoder`` ones, which hold the heavy decoding
(OpenCV, PyAV) and are imported by their kind's ``decode`` when it is first called."""

from core.data.kinds.base import KINDS, PLAYERS, Kind, extension_kinds, file_kind, get_kind, kind_names
from core.registry import discover

__all__ = ["KINDS", "PLAYERS", "Kind", "extension_kinds", "file_kind", "get_kind", "kind_names"]

discover(__name__, __path__, skip=lambda name: name.endswith("_decoder"))
