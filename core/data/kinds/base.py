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
    (one of ``PLAYERS``) how the app shows a sample. ``priority`` orders the kinds, lowest first: when the
    files of a manifest column vote equally for two kinds, the earlier one wins (equal priorities: by name).
    """

    name: str
    summary: str
    decode: Decoder
    params: Callable[[DataConfig], dict[str, Any]]
    default_encoder: str
    player: str
    priority: int
    extensions: tuple[str, ...] = ()
    also_reads: tuple[str, ...] = ()
    folder_parts: Callable[[Path], tuple[Path, ...]] | None = None

    def reads(self, file_kind: str | None) -> bool:
        """Whether a column of this kind may name a file whose extension stands for ``file_kind``."""
        return file_kind is not None and (file_kind == self.name or file_kind in self.also_reads)


def _check(kind: Kind) -> None:
    """Refuse an unknown player or an extension that another kind already claims."""
    if kind.player not in PLAYERS:
        raise ValueError(
            f"kind {kind.name!r}: player must be one of {', '.join(PLAYERS)}, got {kind.player!r}"
        )
    claimed = extension_kinds()
    taken = [e for e in kind.extensions if e in claimed]
    if taken:
        raise ValueError(f"kind {kind.name!r}: extension(s) {', '.join(taken)} already claimed")


KINDS: Registry[Kind] = Registry("modality kind", check=_check)


def _ordered() -> list[Kind]:
    return sorted(KINDS.values(), key=lambda kind: (kind.priority, kind.name))


def kind_names() -> tuple[str, ...]:
    """The registered kinds by ``priority`` (the order that breaks ties of the extension vote)."""
    return tuple(kind.name for kind in _ordered())


def extension_kinds() -> dict[str, str]:
    """Every claimed file extension (lower case, with the dot) and the kind that claims it, by priority."""
    return {extension: kind.name for kind in _ordered() for extension in kind.extensions}


def file_kind(file_name: str) -> str | None:
    """The kind a file name's extension stands for, or None."""
    if "\n" in file_name:
        return None
    suffix = PurePosixPath(file_name.lower()).suffix
    return next((kind.name for kind in KINDS.values() if suffix in kind.extensions), None)


def get_kind(name: str) -> Kind:
    """The registered kind ``name``; ``ValueError`` naming the known kinds otherwise."""
    if name not in KINDS:
        raise ValueError(f"unknown modality kind {name!r}; known: {', '.join(kind_names())}")
    return KINDS.get(name)


def with_windows(params: dict[str, Any], config: DataConfig) -> dict[str, Any]:
    """``params`` plus ``window_columns`` when set: for kinds whose arrays depend on a clip's window."""
    return {**params, "window_columns": list(config.window_columns)} if config.window_columns else params
