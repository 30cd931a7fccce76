"""The valuation rows of a report: checking a result's shapes and spreading its values over the split's
sample axis (samples the epoch did not value read as missing)."""

from __future__ import annotations

from typing import Any

import h5py
import numpy as np

from core.report import layout
from core.report.format import SORTED
from core.valuation.result import ValuationResult


def check_result(result: ValuationResult) -> None:
    """ValueError naming the array unless every array of the result has the shape its samples and modalities give."""
    n, m = len(result.sample_index), len(result.modalities)
    expected = {
        "phi": (n, m),
        "coalition_values": (n, 2**m),
        "prediction": (n,),
        "correct": (n,),
    }
    if result.phi_stderr is not None:
        expected["phi_stderr"] = (n, m)
    if result.coalition_log_p is not None:
        expected["coalition_correct"] = expected["coalition_log_p"] = (n, 2**m)
    for name, shape in expected.items():
        actual = np.shape(getattr(result, name))
        if actual != shape:
            raise ValueError(
                f"report: valuation of split {result.split!r}, epoch {result.epoch}: {name} has shape {actual}, "
                f"expected {shape} ({n} samples, {m} modalities)"
            )


def place_samples(
    group: h5py.Group, split: str, sample_index: np.ndarray, stored: np.ndarray | None
) -> tuple[tuple[np.ndarray, int] | None, np.ndarray]:
    """Where each valued sample goes along the split's sample axis, as ``(columns, total)`` (None: in the
    order stored), and the split's sample index after this valuation; samples never valued before are
    appended (their earlier epochs read as missing) and the group's sample axis grows to hold them.
    ``stored`` is the split's sample index when known (else read from the group)."""
    if stored is None:
        stored = group["sample_index"][: group["phi"].shape[1]]
    columns: np.ndarray | None = None
    if np.array_equal(stored, sample_index):
        extended = stored
    else:
        check_unique(split, sample_index)
        order = np.argsort(stored, kind="stable")
        ranked = stored[order]
        loc = np.clip(np.searchsorted(ranked, sample_index), 0, max(len(ranked) - 1, 0))
        found = ranked[loc] == sample_index if len(ranked) else np.zeros(len(sample_index), bool)
        new = sample_index[~found]
        extended = np.concatenate([stored, new])
        if len(stored):
            columns = np.empty(len(sample_index), dtype=np.int64)
            columns[found] = order[loc[found]]
            columns[~found] = len(stored) + np.arange(len(new))
    total = len(extended)
    index = group["sample_index"]
    if index.shape[0] != total:
        old = min(index.shape[0], total)
        index.resize(total, axis=0)
        index[old:] = extended[old:]
        increasing = bool(np.all(extended[1:] > extended[:-1]))
        if bool(group.attrs.get(SORTED, 0)) != increasing:
            group.attrs.modify(SORTED, np.uint8(increasing))
    for ds in layout.row_datasets(group):
        if ds.ndim >= 2 and ds.maxshape[1] is None and ds.shape[1] != total:
            ds.resize(total, axis=1)
    return (None if columns is None else (columns, total)), extended


def check_unique(split: str, sample_index: np.ndarray) -> None:
    ordered = sample_index if np.all(sample_index[1:] > sample_index[:-1]) else np.sort(sample_index)
    if np.any(ordered[1:] == ordered[:-1]):
        raise ValueError(f"report: valuation of split {split!r} lists a sample index more than once")


def spread(values: Any, positions: tuple[np.ndarray, int] | None, dtype: type, fill: Any) -> np.ndarray:
    """One epoch row ([1, samples, ...]) with values at their sample positions and ``fill`` elsewhere."""
    values = np.asarray(values, dtype=dtype)
    if positions is None:
        return values[None]
    where, total = positions
    row = np.full((total,) + values.shape[1:], fill, dtype=dtype)
    row[where] = values
    return row[None]
