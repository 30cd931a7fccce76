"""The two flow-image folder layouts (see ``core.data.kinds.flow``): which folders a flow cell reads."""

from __future__ import annotations

from pathlib import Path


def is_uv_folder(folder: Path) -> bool:
    """Whether ``folder`` is ``<root>/u/<clip>`` (its v images are in ``<root>/v/<clip>``)."""
    return folder.parent.name == "u"


def flow_folders(folder: Path) -> tuple[Path, ...]:
    """The folders a flow cell naming ``folder`` reads: itself, and its ``v`` folder for the u/v layout."""
    return (folder, folder.parent.parent / "v" / folder.name) if is_uv_folder(folder) else (folder,)
