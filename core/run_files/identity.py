"""What makes data a run's own: a fingerprint of its samples (ids, labels, splits), its classes and its
modalities, kept in every checkpoint, and the run's strategy.

A resume, and values added to a run's report, go on only with the run's own data and strategy; anything
else would mix two datasets in one report. Checkpoints written before fingerprints existed carry none:
they still resume, with a warning that the data was not checked.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from core.config import RunConfig
from core.data.tensors import PreparedData


def dataset_identity(
    ids: Sequence[str] | np.ndarray,
    labels: np.ndarray,
    splits: Sequence[str] | np.ndarray,
    class_names: Sequence[str],
    modalities: Sequence[str],
) -> dict[str, Any]:
    """Plain values (storable in a checkpoint): the samples' fingerprint, their count, classes and modalities."""
    names = np.asarray(list(class_names), dtype=object)
    digest = hashlib.sha256()
    for column in (ids, names[np.asarray(labels, dtype=np.int64)], splits):
        digest.update("\x1f".join(map(str, column)).encode("utf-8"))
        digest.update(b"\x1e")
    return {
        "fingerprint": digest.hexdigest(),
        "num_samples": len(ids),
        "classes": [str(c) for c in class_names],
        "modalities": [str(m) for m in modalities],
    }


def identity_of(data: PreparedData) -> dict[str, Any]:
    """The identity of a prepared dataset (its usable samples, as the run's report records them)."""
    samples = data.samples
    return dataset_identity(samples.ids, samples.labels, samples.splits, samples.class_names, samples.modalities)


def check_same_data(stored: dict[str, Any] | None, given: dict[str, Any], source: str, data_path: str) -> str | None:
    """Raise ``ValueError`` (one line) when ``given`` is not the data ``stored`` describes; a warning line
    when nothing is stored (an older checkpoint), else None."""
    if not stored:
        return (
            f"{source}: the checkpoint records no dataset fingerprint (made by an older ModaLens), so it is "
            f"not checked that {data_path} is the run's dataset"
        )
    if list(stored["modalities"]) != list(given["modalities"]):
        raise ValueError(
            f"{source}: checkpoint has modalities {', '.join(stored['modalities'])}; "
            f"dataset has {', '.join(given['modalities'])}"
        )
    ours, theirs = list(stored["classes"]), list(given["classes"])
    if len(ours) != len(theirs):
        raise ValueError(f"{source}: checkpoint has {len(ours)} classes, dataset has {len(theirs)}")
    if ours != theirs:
        raise ValueError(f"{source}: checkpoint's classes are {', '.join(ours)}; dataset's are {', '.join(theirs)}")
    if stored["fingerprint"] != given["fingerprint"]:
        raise ValueError(
            f"{source}: {data_path} is not this run's dataset: its sample ids, labels or splits differ from the "
            f"{stored['num_samples']} samples the run was trained on ({given['num_samples']} here); "
            "give the run's own dataset, or start a new run"
        )
    return None


def check_same_strategy(run_strategy: str, strategy: str, source: str) -> None:
    """A run continues with the strategy it was trained with."""
    if run_strategy != strategy:
        raise ValueError(
            f"{source}: the run was trained with strategy {run_strategy!r}, not {strategy!r}; resume it without "
            "--strategy, or start a new run with --strategy"
        )


def check_resume(state: dict[str, Any], data: PreparedData, strategy: str, source: str | Path) -> str | None:
    """Raise ``ValueError`` when the checkpoint ``state`` was not trained with ``strategy`` on ``data``; a
    warning line when the checkpoint predates fingerprints, else None."""
    run_strategy = RunConfig.from_toml(state["config_toml"], f"{source} (config)").strategy.name
    check_same_strategy(run_strategy, strategy, str(source))
    return check_same_data(state.get("dataset"), identity_of(data), str(source), str(data.root))
