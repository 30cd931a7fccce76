"""Modality kinds, one module each, registered in :data:`KINDS` (see ``base.Kind``); the registration
order (video, audio, vector, image, flow) breaks ties of the manifest's extension vote."""

from core.data.kinds import video, audio, vector, image, flow  # noqa: F401, I001  (registration order)
from core.data.kinds.base import KINDS, PLAYERS, Kind, extension_kinds, file_kind, get_kind, kind_names

__all__ = ["KINDS", "PLAYERS", "Kind", "extension_kinds", "file_kind", "get_kind", "kind_names"]
