"""Read-only questions the views ask of a :class:`~app.session.Session`, answered with numpy arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app.session import Session
from core.valuation import ValuationResult


@dataclass(frozen=True)
class EpochValues:
    """Per dataset row, what one epoch's valuations (all splits together) say.

    ``phi`` is NaN, ``prediction`` is -1 and ``correct`` is -1 for rows that were not valued.
    """

    epoch: int | None
    phi: np.ndarray  # float32 [N, M]
    prediction: np.ndarray  # int64 [N]
    correct: np.ndarray  # int8 [N]: 1 right, 0 wrong, -1 not valued

    @property
    def valued(self) -> np.ndarray:
        return self.correct >= 0


@dataclass(frozen=True)
class SampleValuation:
    """One sample's row in one valuation result."""

    result: ValuationResult
    row: int

    @property
    def phi(self) -> np.ndarray:
        return self.result.phi[self.row]

    @property
    def coalition_values(self) -> np.ndarray:
        return self.result.coalition_values[self.row]

    @property
    def phi_stderr(self) -> np.ndarray | None:
        return None if self.result.phi_stderr is None else self.result.phi_stderr[self.row]


def tie_share(phi: np.ndarray) -> float | None:
    """Fraction of valued rows of ``phi`` [N, M] whose two largest φ are exactly equal (None: no valued row)."""
    phi = np.asarray(phi)
    rows = phi[~np.isnan(phi).any(axis=1)] if phi.ndim == 2 else phi.reshape(0, 1)
    if len(rows) == 0:
        return None
    if rows.shape[1] < 2:
        return 0.0
    top = -np.sort(-rows, axis=1)
    return float(np.mean(top[:, 0] == top[:, 1]))


def valued_epochs(session: Session) -> list[int]:
    """Every epoch with a valuation of any split, ascending."""
    return sorted({epoch for by_epoch in session.valuations.values() for epoch in by_epoch})


def epoch_values(session: Session, epoch: int | None = None) -> EpochValues:
    """The valuations of ``epoch`` (None: the latest valued epoch) merged over splits, one row per sample."""
    n = len(session.dataset) if session.dataset is not None else 0
    m = len(session.dataset.modalities) if session.dataset is not None else 0
    if epoch is None:
        epochs = valued_epochs(session)
        epoch = epochs[-1] if epochs else None
    phi = np.full((n, m), np.nan, np.float32)
    prediction = np.full(n, -1, np.int64)
    correct = np.full(n, -1, np.int8)
    for by_epoch in session.valuations.values():
        result = by_epoch.get(epoch) if epoch is not None else None
        if result is None or len(result.sample_index) == 0:
            continue
        index = result.sample_index
        if index.max() >= n or result.phi.shape[1] != m:
            raise ValueError(
                f"valuation of split {result.split!r}, epoch {result.epoch} does not fit the dataset on show "
                f"({n} samples, {m} modalities): sample index up to {index.max()}, {result.phi.shape[1]} modalities"
            )
        phi[index] = result.phi
        prediction[index] = result.prediction
        correct[index] = result.correct.astype(np.int8)
    return EpochValues(epoch, phi, prediction, correct)


def _row_of(result: ValuationResult, index: int) -> int | None:
    where = int(np.searchsorted(result.sample_index, index))
    if where < len(result.sample_index) and result.sample_index[where] == index:
        return where
    hits = np.flatnonzero(result.sample_index == index)  # sample_index is normally sorted; be safe if not
    return int(hits[0]) if len(hits) else None


def sample_split(session: Session, index: int) -> str | None:
    """The split whose valuations hold sample ``index`` (its dataset split first), or None."""
    if session.dataset is None or not 0 <= index < len(session.dataset):
        return None
    own = str(session.dataset.splits[index])
    candidates = [own] + [s for s in session.valuations if s != own]
    for split in candidates:
        if any(_row_of(r, index) is not None for r in session.valuations.get(split, {}).values()):
            return split
    return None


def sample_valuation(session: Session, index: int, epoch: int | None = None) -> SampleValuation | None:
    """Sample ``index``'s values at ``epoch`` (None: the latest epoch that valued it), or None."""
    split = sample_split(session, index)
    if split is None:
        return None
    by_epoch = session.valuations[split]
    for e in [epoch] if epoch is not None else sorted(by_epoch, reverse=True):
        result = by_epoch.get(e)
        row = _row_of(result, index) if result is not None else None
        if result is not None and row is not None:
            return SampleValuation(result, row)
    return None


def sample_history(session: Session, index: int) -> tuple[np.ndarray, np.ndarray]:
    """(epochs [E], φ [E, M]) of sample ``index`` over every epoch that valued it."""
    m = len(session.dataset.modalities) if session.dataset is not None else 0
    split = sample_split(session, index)
    if split is None:
        return np.zeros(0, np.int64), np.zeros((0, m), np.float32)
    epochs, phis = [], []
    for epoch in sorted(session.valuations[split]):
        result = session.valuations[split][epoch]
        row = _row_of(result, index)
        if row is not None:
            epochs.append(epoch)
            phis.append(result.phi[row])
    return np.asarray(epochs, np.int64), np.asarray(phis, np.float32).reshape(-1, m)
