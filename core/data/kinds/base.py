"""A modality kind as one registered object: the files it claims, how it decodes, what keys its cache,
its default encoder and how the player shows it (see docs/datasets.md, "Modality kinds").

Registering and detecting kinds imports no decoding library: each kind's ``decode`` imports its decoder
module (OpenCV, PyAV) when it is first called."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from core.config import DataConfig
from core.registry import Registry

Window = tuple[float, float]
"""(start, end) in seconds: the part of a clip to use."""
PLAYERS = ("video", "audio", "vector", "image")
"""How the app's player shows a sample of a kind: play a clip, play a sound, plot a vector, show an image."""

Decoder = Callable[[Path, DataConfig, Window | None], np.ndarray]


@dataclass(frozen=True)
class Kind:
    """One modality kind.

    ``extensions`` are the file name endings whose files vote for this kind when a manifest column is
    detected; ``also_reads`` names the kinds whose files a column of this kind may hold besides its own
    (an audio column of video files). ``folder_parts``, when set, says that a cell may name a folder and
    gives the folders such a cell reads (each is checked to lie inside the dataset). ``decode`` turns one
    file (or folder) into the array cached for it, ``params`` gives the settings that array depends on
    (the cache key), ``default_encoder`` the encoder used when the config names none, and ``player``
    (one of ``PLAYERS``) how the app shows a sample.
    """

    name: str
    summary: str
    decode: Decoder
    params: Callable[[DataConfig], dict[str, Any]]
    default_encoder: str
    player: str
    extensions: tuple[str, ...] = ()
    also_reads: tuple[str, ...] = ()
    folder_parts: Callable[[Path], tuple[Path, ...]] | None = None

    def reads(self, file_kind: str | None) -> bool:
        """Whether a column of this kind may name a file whose extension stands for ``file_kind``."""
        return file_kind is not None and (file_kind == self.name or file_kind in self.also_reads)


KINDS: Registry[Kind] = Registry("modality kind")
_ORDER: list[str] = []
_EXTENSIONS: dict[str, str] = {}


def register(kind: Kind) -> Kind:
    """Add ``kind`` to ``KINDS``; an extension claimed by two kinds or an unknown player is an error."""
    if kind.player not in PLAYERS:
        raise ValueError(
            f"kind {kind.name!r}: player must be one of {', '.join(PLAYERS)}, got {kind.player!r}"
        )
    taken = [e for e in kind.extensions if e in _EXTENSIONS]
    if taken:
        raise ValueError(f"kind {kind.name!r}: extension(s) {', '.join(taken)} already claimed")
    KINDS.register(kind.name)(kind)
    _ORDER.append(kind.name)
    _EXTENSIONS.update(dict.fromkeys(kind.extensions, kind.name))
    return kind


def kind_names() -> tuple[str, ...]:
    """The registered kinds in registration order (the order that breaks ties of the extension vote)."""
    return tuple(_ORDER)


def extension_kinds() -> dict[str, str]:
    """Every claimed file extension (lower case, with the dot) and the kind that claims it."""
    return dict(_EXTENSIONS)


def file_kind(file_name: str) -> str | None:
    """The kind a file name's extension stands for, or None."""
    if "\n" in file_name:
        return None
    return _EXTENSIONS.get(PurePosixPath(file_name.lower()).suffix)


def get_kind(name: str) -> Kind:
    """The registered kind ``name``; ``ValueError`` naming the known kinds otherwise."""
    if name not in KINDS:
        raise ValueError(f"unknown modality kind {name!r}; known: {', '.join(kind_names())}")
    return KINDS.get(name)


def with_windows(params: dict[str, Any], config: DataConfig) -> dict[str, Any]:
    """``params`` plus ``window_columns`` when set: for kinds whose arrays depend on a clip's window."""
    return {**params, "window_columns": list(config.window_columns)} if config.window_columns else params
