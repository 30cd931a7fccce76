"""Checkpoints as data: model, optimiser, strategy modules, config, RNG states and progress.

A checkpoint holds only tensors and plain Python values (str, int, float, bool, None, lists, tuples,
dicts), so it is read with ``torch.load(weights_only=True)``, which never runs code from the file.
Checkpoints of release 0.1 (format 1) pickled arbitrary objects; they are read only when the caller
says the file is trusted, because reading them can run code.
"""

from __future__ import annotations

import logging
import pickle
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.atomic import atomic_write
from core.run_files.layout import LAST_CHECKPOINT
from core.valuation.result import ValuationResult

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = "modalens-checkpoint-2"
LEGACY_FORMAT = "modalens-checkpoint-1"
NOT_A_CHECKPOINT_HINT = "ModaLens checkpoints are the .pt files in a run's checkpoints/ folder"
TORCH_ZIP_MAGIC = b"PK\x03\x04"
PICKLE_MAGIC = b"\x80"
"""A checkpoint is torch's zip container, or (release 0.1 and older torch) a bare pickle."""
TRUST_HINT = "pass --trust-checkpoint only if you trust whoever made the file: reading it can run code"


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, refused or not a ModaLens checkpoint."""


class UntrustedCheckpointError(CheckpointError):
    """The file is an old-format (or foreign) pickle that only a trusted load may read."""


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` atomically (temporary file, fsync, rename): a crash never leaves a half checkpoint.

    ``state`` may hold a :class:`ValuationResult` under ``latest_valuation``; it is stored as tensors.
    """
    payload = {"format": CHECKPOINT_FORMAT, **state}
    if payload.get("latest_valuation") is not None:
        payload["latest_valuation"] = valuation_to_plain(payload["latest_valuation"])
    with atomic_write(path) as handle:
        recording = _RecordingWriter(handle)
        try:
            torch.save(payload, recording)  # type: ignore[arg-type]  # a file-like writer, as torch.save takes
        except RuntimeError as exc:  # torch reports a failed write as "unexpected pos ...": say what failed
            if recording.error is None:
                raise
            raise recording.error from exc


class _RecordingWriter:
    """A file's ``write`` that remembers the OSError it raised (torch.save replaces it by its own message)."""

    def __init__(self, handle: Any) -> None:
        self.handle = handle
        self.error: OSError | None = None

    def write(self, data: Any) -> int:
        try:
            return self.handle.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self.handle.flush()


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", trusted: bool = False
) -> dict[str, Any]:
    """Read a checkpoint; ``latest_valuation`` comes back as a :class:`ValuationResult` (or None).

    The file is read with ``weights_only=True``. A file that needs more (a release-0.1 checkpoint, or a
    crafted one) raises :class:`UntrustedCheckpointError` unless ``trusted`` is true, in which case it is
    read as a full pickle, with a warning.
    """
    path = Path(path)
    if path.is_dir():
        path = _checkpoint_in_run_folder(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: checkpoint not found")
    if not _looks_like_checkpoint(path):
        raise CheckpointError(f"{path}: not a checkpoint ({NOT_A_CHECKPOINT_HINT})")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if "Unsupported global" not in str(exc):  # no Python object named in the file: a damaged file
            raise CheckpointError(f"{path}: not a readable checkpoint ({_first_line(exc)})") from None
        if not trusted:
            raise UntrustedCheckpointError(
                f"{path}: refused: the file holds Python objects, not only tensors and plain values "
                f"(an older ModaLens checkpoint, or a crafted one); {TRUST_HINT}"
            ) from None
        log.warning("%s: reading a trusted checkpoint as a full pickle (%s)", path, _first_line(exc))
        state = _load_trusted(path, map_location)
    except Exception as exc:  # noqa: BLE001 - a damaged file of any sort means the same to the user
        raise CheckpointError(f"{path}: not a readable checkpoint ({_first_line(exc)})") from None
    if not isinstance(state, dict) or state.get("format") not in (CHECKPOINT_FORMAT, LEGACY_FORMAT):
        raise CheckpointError(f"{path}: not a ModaLens checkpoint ({NOT_A_CHECKPOINT_HINT})")
    latest = state.get("latest_valuation")
    if isinstance(latest, dict):
        state["latest_valuation"] = valuation_from_plain(latest, path)
    elif latest is not None and not isinstance(latest, ValuationResult):
        raise CheckpointError(f"{path}: 'latest_valuation' is not a valuation")
    return state


def load_encoders(model: torch.nn.Module, path: str | Path, trusted: bool = False) -> None:
    """Initialise ``model``'s encoders from the checkpoint at ``path`` (e.g. a `uni-pretrain` or
    `ensemble` run); fusion and unimodal heads keep their fresh initialisation."""
    state = load_checkpoint(path, trusted=trusted)["model"]
    _check_modalities(model, state, path)
    encoders = {k.removeprefix("encoders."): v for k, v in state.items() if k.startswith("encoders.")}
    target = model.encoders
    if not isinstance(target, torch.nn.Module):
        raise CheckpointError(f"{path}: the model to initialise has no encoders")
    _load_strict(target, encoders, path, "encoders")


def load_model_state(model: torch.nn.Module, state: dict[str, Any], source: str | Path) -> None:
    """Load a checkpoint's model weights into ``model``; what does not fit (modalities, classes, sizes) is
    one :class:`CheckpointError` line, never the state-dict listing."""
    _check_modalities(model, state, source)
    fusion, classes = state.get("fusion.weight"), getattr(model, "num_classes", None)
    if isinstance(fusion, torch.Tensor) and classes is not None and fusion.shape[0] != classes:
        raise CheckpointError(f"{source}: checkpoint has {fusion.shape[0]} classes, dataset has {classes}")
    _load_strict(model, state, source, "weights")


def _check_modalities(model: torch.nn.Module, state: dict[str, Any], source: str | Path) -> None:
    ours = list(getattr(model, "modalities", []))
    theirs = list(dict.fromkeys(k.split(".")[1] for k in state if k.startswith("encoders.") and k.count(".") >= 2))
    if ours and theirs != ours:
        raise CheckpointError(
            f"{source}: checkpoint has modalities {', '.join(theirs) or 'none'}; dataset has {', '.join(ours)}"
        )


def _load_strict(module: torch.nn.Module, state: dict[str, Any], source: str | Path, what: str) -> None:
    own = module.state_dict()
    missing = [k for k in own if k not in state]
    unexpected = [k for k in state if k not in own]
    other = [k for k in own if k in state and tuple(own[k].shape) != tuple(getattr(state[k], "shape", ()))]
    problems = []
    if other:
        k = other[0]
        problems.append(
            f"{len(other)} tensor(s) of another shape, e.g. {k}: {list(state[k].shape)} in the checkpoint, "
            f"{list(own[k].shape)} here"
        )
    if missing:
        problems.append(f"{len(missing)} missing (e.g. {missing[0]})")
    if unexpected:
        problems.append(f"{len(unexpected)} unexpected (e.g. {unexpected[0]})")
    if problems:
        raise CheckpointError(
            f"{source}: the checkpoint's {what} do not fit this model ({'; '.join(problems)}); it needs the same "
            "encoders, model.feature_dim and input sizes"
        )
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"{source}: the checkpoint's {what} do not fit this model ({_first_line(exc)})") from None


def valuation_to_plain(result: ValuationResult) -> dict[str, Any]:
    """A valuation as tensors and plain values, loadable with ``weights_only=True``."""
    plain: dict[str, Any] = {}
    for item in fields(result):
        value = getattr(result, item.name)
        plain[item.name] = torch.from_numpy(np.ascontiguousarray(value)) if isinstance(value, np.ndarray) else value
    return plain


def valuation_from_plain(plain: dict[str, Any], path: Path) -> ValuationResult:
    """The inverse of :func:`valuation_to_plain`, checking the names it expects."""
    expected = {item.name for item in fields(ValuationResult)}
    if not set(plain) <= expected:
        raise CheckpointError(f"{path}: 'latest_valuation' has unknown fields {sorted(set(plain) - expected)}")
    values: dict[str, Any] = {k: v.numpy() if isinstance(v, torch.Tensor) else v for k, v in plain.items()}
    try:
        return ValuationResult(**values)
    except TypeError as exc:
        raise CheckpointError(f"{path}: 'latest_valuation' is incomplete ({exc})") from None


def _load_trusted(path: Path, map_location: str | torch.device) -> dict[str, Any]:
    try:
        return torch.load(path, map_location=map_location, weights_only=False)
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f"{path}: not a readable checkpoint ({_first_line(exc)})") from None


def _checkpoint_in_run_folder(folder: Path) -> Path:
    """A run folder stands for its last checkpoint."""
    return folder / LAST_CHECKPOINT


def _looks_like_checkpoint(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            head = handle.read(len(TORCH_ZIP_MAGIC))
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot read ({exc.strerror or exc})") from None
    return head.startswith(TORCH_ZIP_MAGIC) or head.startswith(PICKLE_MAGIC)


_UNSUPPORTED_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")


def _first_line(exc: BaseException) -> str:
    """The reason in one line; torch's advice to load with ``weights_only=False`` is never passed on."""
    text = str(exc).strip()
    if "weights_only" in text or "weights only" in text.lower():
        named = _UNSUPPORTED_GLOBAL.search(text)
        reason = f"it names the Python object {named.group(1)}" if named else "damaged, or not a checkpoint"
        return f"{type(exc).__name__}: {reason}"
    lines = text.splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__
