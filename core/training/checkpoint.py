"""Atomic checkpoints: model, optimiser, strategy modules, config, RNG states and progress."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable or not a ModaLens checkpoint."""


CHECKPOINT_FORMAT = "modalens-checkpoint-1"


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` through a temporary file, so a crash never leaves a half checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save({"format": CHECKPOINT_FORMAT, **state}, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    try:
        state = torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same to the user
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a ModaLens checkpoint")
    return state


def load_encoders(model: torch.nn.Module, path: str | Path) -> None:
    """Initialise ``model``'s encoders from the checkpoint at ``path`` (e.g. a `uni-pretrain` or
    `ensemble` run); fusion and unimodal heads keep their fresh initialisation."""
    state = load_checkpoint(path)["model"]
    encoders = {k.removeprefix("encoders."): v for k, v in state.items() if k.startswith("encoders.")}
    try:
        model.encoders.load_state_dict(encoders)
    except RuntimeError as exc:
        detail = str(exc).splitlines()[0]
        raise CheckpointError(f"{path}: its encoders do not fit this model's modalities and encoders ({detail})") from None
