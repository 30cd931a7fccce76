"""``dataset.toml``: what a dataset folder says about itself besides its manifest (optional file).

Keys (all optional):

- ``media_root``: absolute folder the manifest's absolute media paths point into (written by
  ``modalens import``: the imported dataset's own folder, where its media stay);
- ``source``: the dataset source that wrote the folder, and ``[options]`` the options it was given;
- ``[kinds]``: ``column = "video" | "audio" | ...`` (a kind registered in ``core.data.kinds``), the
  modality kind of a manifest column, overriding the kind its file extensions suggest. ``audio = "audio"``
  makes a column of video files an audio column: the audio stream inside each file is used;
  ``flow = "flow"`` a column of video files or flow-image folders a flow column.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from core.atomic import atomic_write
from core.data.kinds import kind_names

DATASET_INFO_NAME = "dataset.toml"


@dataclass
class DatasetInfo:
    """The contents of ``dataset.toml``; a folder without the file gives the empty defaults."""

    media_root: Path | None = None
    source: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)


def read_dataset_info(root: str | Path) -> DatasetInfo:
    """Read ``<root>/dataset.toml``; a missing file gives defaults, a bad one raises ``ValueError``."""
    path = Path(root) / DATASET_INFO_NAME
    if not path.is_file():
        return DatasetInfo()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise ValueError(f"{path}: cannot read ({exc})") from None
    kinds = table.get("kinds", {})
    known = kind_names()
    if not isinstance(kinds, dict) or any(kind not in known for kind in kinds.values()):
        raise ValueError(f"{path}: [kinds] maps column names to one of {', '.join(known)}, got {kinds!r}")
    media_root = table.get("media_root")
    if media_root is not None and not (isinstance(media_root, str) and Path(media_root).is_absolute()):
        raise ValueError(f"{path}: media_root must be an absolute folder path, got {media_root!r}")
    options = table.get("options", {})
    return DatasetInfo(
        media_root=Path(media_root) if media_root else None,
        source=str(table.get("source", "")),
        options=dict(options) if isinstance(options, dict) else {},
        kinds=dict(kinds),
    )


def write_dataset_info(root: str | Path, info: DatasetInfo) -> Path:
    """Write ``<root>/dataset.toml`` (options whose value is None are left out)."""
    table: dict[str, Any] = {}
    if info.media_root is not None:
        table["media_root"] = str(info.media_root)
    if info.source:
        table["source"] = info.source
    options = {key: str(value) if isinstance(value, Path) else value for key, value in info.options.items()}
    table["options"] = {key: value for key, value in options.items() if value is not None}
    table["kinds"] = dict(info.kinds)
    path = Path(root) / DATASET_INFO_NAME
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(tomli_w.dumps(table))
    return path
