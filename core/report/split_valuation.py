"""The per-epoch Shapley values of one split of a report, read lazily: whole arrays on first access, or
just the epochs × samples × modalities asked for (``SplitValuation.select``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np

from core.report import bounds
from core.report.access import committed, report_file
from core.report.errors import ReportError
from core.report.format import SORTED, attr_list, attr_text
from core.valuation.interaction import pair_interactions, pair_labels

FEW_COLUMNS = 1024
BISECT_LIMIT = 16


@dataclass(frozen=True)
class ValuationSelection:
    """Values of some epochs × samples × modalities of one split (axes kept even when of length 1)."""

    epochs: np.ndarray
    sample_index: np.ndarray
    modalities: list[str]
    phi: np.ndarray
    coalition_values: np.ndarray
    prediction: np.ndarray
    correct: np.ndarray
    phi_stderr: np.ndarray | None


class SplitValuation:
    """Per-epoch Shapley values of one split. Arrays are ``[epoch, sample, ...]``, samples in the order
    of ``sample_index`` (indices into the report's dataset arrays); missing values read as NaN / -1."""

    def __init__(self, path: Path, group: h5py.Group) -> None:
        self._path = path
        self._name = group.name
        self.split = attr_text(group.attrs["split"])
        self.value_fn = attr_text(group.attrs["value_fn"])
        self.method = attr_text(group.attrs["method"])
        self.modalities = attr_list(group.attrs["modalities"])
        self.coalition_labels = attr_list(group.attrs["coalition_labels"])
        self.epochs = group["epoch"][: committed(group)].astype(np.int64)
        self.num_samples = min(group["sample_index"].shape[0], group["phi"].shape[1])
        self.has_stderr = "phi_stderr" in group
        self.has_statistics = "coalition_log_p" in group and "coalition_correct" in group
        """Coalition statistics stored (format 2): the values can be shown under any value function."""
        self._sorted = bool(group.attrs.get(SORTED, 0))
        self._revalued: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        _check_tails(path, group, len(self.modalities))

    def __repr__(self) -> str:
        return f"SplitValuation({self.split!r}, epochs={len(self.epochs)}, samples={self.num_samples})"

    @contextmanager
    def _group(self, what: str) -> Iterator[h5py.Group]:
        with report_file(self._path, f"{self._name}/{what}") as f:
            yield f[self._name]

    @cached_property
    def sample_index(self) -> np.ndarray:
        with self._group("sample_index") as g:
            return g["sample_index"][: self.num_samples]

    @cached_property
    def phi(self) -> np.ndarray:
        return self._whole("phi")

    @cached_property
    def coalition_values(self) -> np.ndarray:
        return self._whole("coalition_values")

    @cached_property
    def prediction(self) -> np.ndarray:
        return self._whole("prediction")

    @cached_property
    def correct(self) -> np.ndarray:
        return self._whole("correct").astype(bool)

    @cached_property
    def coalition_correct(self) -> np.ndarray | None:
        """Per coalition, whether it predicted the label ``[epoch, sample, 2^M]`` (None in format 1)."""
        return self._whole("coalition_correct").astype(bool) if self.has_statistics else None

    @cached_property
    def coalition_log_p(self) -> np.ndarray | None:
        """Per coalition, log-probability of the label ``[epoch, sample, 2^M]`` (None in format 1)."""
        return self._whole("coalition_log_p") if self.has_statistics else None

    @cached_property
    def phi_stderr(self) -> np.ndarray | None:
        return self._whole("phi_stderr") if self.has_stderr else None

    @cached_property
    def mean_phi(self) -> np.ndarray:
        """Mean φ per modality at each epoch, ``[epoch, modality]``."""
        with self._group("mean_phi") as g:
            return g["mean_phi"][: len(self.epochs)]

    @property
    def value_functions(self) -> list[str]:
        """The value functions this split can be shown with: every registered one when the coalition
        statistics are stored, else only the one it was written with (a format-1 report)."""
        if not self.has_statistics:
            return [self.value_fn]
        from core.valuation.value_functions import VALUE_FUNCTIONS  # torch: only when switching

        return VALUE_FUNCTIONS.names()

    def values_as(self, value_fn: str) -> tuple[np.ndarray, np.ndarray]:
        """(φ [epoch, sample, modality], v [epoch, sample, 2^M]) under ``value_fn``, computed from the
        stored coalition statistics; the written value function reads the stored arrays as they are."""
        if value_fn == self.value_fn:
            return self.phi, self.coalition_values
        from core.valuation.value_functions import VALUE_FUNCTIONS

        if value_fn not in VALUE_FUNCTIONS.names():
            raise ReportError(f"unknown value function {value_fn!r}; available: {', '.join(VALUE_FUNCTIONS.names())}")
        if value_fn not in self.value_functions:
            raise ReportError(
                f"{self._path}: split {self.split!r} was valued with {self.value_fn!r} in a report without "
                f"coalition statistics (format 1); other value functions need a format-2 report"
            )
        if value_fn not in self._revalued:
            from core.valuation.recompute import revalue

            self._revalued[value_fn] = revalue(self._whole("coalition_correct"), self._whole("coalition_log_p"), value_fn)
        return self._revalued[value_fn]

    @property
    def pairs(self) -> list[str]:
        """Labels of the modality pairs of the interaction axis, ``"audio×video"``, … (none for one modality)."""
        return pair_labels(self.modalities)

    def interaction_as(self, value_fn: str | None = None) -> np.ndarray:
        """Shapley interaction index of every modality pair ``[epoch, sample, pair]`` (pairs as ``pairs``) under
        ``value_fn`` (default: the one written), computed from the coalition values when read (nothing of it
        is stored); NaN where a sample was not valued or was valued by Monte-Carlo (no coalition values)."""
        return pair_interactions(self.values_as(value_fn or self.value_fn)[1])

    def _whole(self, name: str) -> np.ndarray:
        with self._group(name) as g:
            return g[name][: len(self.epochs), : self.num_samples]

    def phi_blocks(
        self, epoch: int | None = None, block_bytes: int | None = None, value_fn: str | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(sample_index, phi[epoch, sample, modality])`` for consecutive blocks of samples of at most
        ``block_bytes`` (default ``bounds.BLOCK_BYTES``), for one epoch (an epoch number) or all, so exports
        never hold the whole split; under ``value_fn`` (default: the one written) when it is another."""
        if value_fn is None or value_fn == self.value_fn:
            for index, phi in self._blocks(("phi",), epoch, block_bytes):
                yield index, phi
            return
        if value_fn not in self.value_functions:
            self.values_as(value_fn)  # raises the clear error
        from core.valuation.recompute import revalue

        for index, correct, log_p in self._blocks(("coalition_correct", "coalition_log_p"), epoch, block_bytes):
            yield index, revalue(correct, log_p, value_fn)[0]

    def value_blocks(
        self, epoch: int | None = None, block_bytes: int | None = None, value_fn: str | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(sample_index, phi[epoch, sample, modality], v[epoch, sample, 2^M])`` block by block, as
        :meth:`phi_blocks` with the coalition values alongside (to derive pair interactions from)."""
        if value_fn is None or value_fn == self.value_fn:
            for index, phi, values in self._blocks(("phi", "coalition_values"), epoch, block_bytes):
                yield index, phi, values
            return
        if value_fn not in self.value_functions:
            self.values_as(value_fn)  # raises the clear error
        from core.valuation.recompute import revalue

        for index, correct, log_p in self._blocks(("coalition_correct", "coalition_log_p"), epoch, block_bytes):
            yield (index, *revalue(correct, log_p, value_fn))

    def _blocks(
        self, names: tuple[str, ...], epoch: int | None, block_bytes: int | None
    ) -> Iterator[tuple[np.ndarray, ...]]:
        """``(sample_index, *datasets[rows, block])`` over consecutive blocks of samples."""
        rows = self.epoch_rows(epoch)
        with self._group(names[0]) as g:
            index = g["sample_index"]
            sets = [g[name] for name in names]
            widest = max(sets, key=lambda ds: ds.dtype.itemsize * int(np.prod(ds.shape[2:])))
            for cols in bounds.column_blocks(widest, len(rows), self.num_samples, block_bytes):
                yield (index[cols], *(_take_rows(ds, rows, cols) for ds in sets))

    def positions(self, samples: int | Sequence[int] | np.ndarray) -> np.ndarray:
        """Columns of dataset sample indices along the sample axis; ReportError for one not valued."""
        wanted = np.atleast_1d(np.asarray(samples, dtype=np.int64))
        if self._sorted and "sample_index" not in vars(self) and len(wanted) <= BISECT_LIMIT:
            with self._group("sample_index") as g:
                found = [_bisect(g["sample_index"], self.num_samples, int(value)) for value in wanted]
            positions = np.asarray([-1 if p is None else p for p in found], dtype=np.int64)
        else:
            stored = self.sample_index
            order = self._order
            ranked = stored[order]
            loc = np.clip(np.searchsorted(ranked, wanted), 0, max(len(stored) - 1, 0))
            hit = (ranked[loc] == wanted) if len(stored) else np.zeros(len(wanted), bool)
            positions = np.where(hit, order[loc], -1)
        if np.any(positions < 0):
            missing = wanted[positions < 0][:5].tolist()
            raise ReportError(f"{self._path}: sample index {missing} not valued in split {self.split!r}")
        return positions

    @cached_property
    def _order(self) -> np.ndarray:
        stored = self.sample_index
        if len(stored) < 2 or bool(np.all(stored[1:] > stored[:-1])):
            return np.arange(len(stored))
        return np.argsort(stored, kind="stable")

    def select(
        self,
        epoch: int | Sequence[int] | None = None,
        samples: int | Sequence[int] | np.ndarray | None = None,
        modality: str | int | Sequence[str | int] | None = None,
    ) -> ValuationSelection:
        """Read only the chosen epochs (epoch numbers), samples (dataset indices) and modalities (names or
        positions; they select φ columns, coalition values are kept whole). None selects everything."""
        rows = self.epoch_rows(epoch)
        cols = None if samples is None else self.positions(samples)
        mods = self._modality_columns(modality)
        with self._group("selection") as g:
            phi = self._take(g["phi"], rows, cols)[..., mods]
            stderr = self._take(g["phi_stderr"], rows, cols)[..., mods] if self.has_stderr else None
            coalition_values = self._take(g["coalition_values"], rows, cols)
            prediction = self._take(g["prediction"], rows, cols)
            correct = self._take(g["correct"], rows, cols).astype(bool)
        return ValuationSelection(
            epochs=self.epochs[rows],
            sample_index=self.sample_index if cols is None else np.atleast_1d(np.asarray(samples, dtype=np.int64)),
            modalities=[self.modalities[j] for j in mods],
            phi=phi,
            coalition_values=coalition_values,
            prediction=prediction,
            correct=correct,
            phi_stderr=stderr,
        )

    def epoch_rows(self, epoch: int | Sequence[int] | None) -> np.ndarray:
        """Row positions of the given epoch numbers (all rows for None); ReportError for one not valued."""
        if epoch is None:
            return np.arange(len(self.epochs))
        rows = []
        for value in np.atleast_1d(np.asarray(epoch, dtype=np.int64)).tolist():
            match = np.flatnonzero(self.epochs == value)
            if not len(match):
                raise ReportError(
                    f"{self._path}: split {self.split!r} has no epoch {value} (epochs: {_ranges(self.epochs)})"
                )
            rows.append(int(match[0]))
        return np.asarray(rows, dtype=np.int64)

    def _modality_columns(self, modality: str | int | Sequence[str | int] | None) -> list[int]:
        if modality is None:
            return list(range(len(self.modalities)))
        items = [modality] if isinstance(modality, str | int) else list(modality)
        columns = []
        for item in items:
            if isinstance(item, str):
                if item not in self.modalities:
                    raise ReportError(f"{self._path}: no modality {item!r} (modalities: {', '.join(self.modalities)})")
                columns.append(self.modalities.index(item))
            elif 0 <= int(item) < len(self.modalities):
                columns.append(int(item))
            else:
                raise ReportError(f"{self._path}: modality position {item} out of range 0..{len(self.modalities) - 1}")
        return columns

    def _take(self, ds: h5py.Dataset, rows: np.ndarray, cols: np.ndarray | None) -> np.ndarray:
        """``ds[rows][:, cols]`` reading as little as possible (each epoch row is its own chunk row)."""
        n = self.num_samples if cols is None else len(cols)
        if len(rows) == 0 or n == 0:
            return np.zeros((len(rows), n) + ds.shape[2:], dtype=ds.dtype)
        if bool(np.all(np.diff(rows) == 1)):
            return self._take_columns(ds, slice(int(rows[0]), int(rows[-1]) + 1), cols)
        return np.stack([self._take_columns(ds, int(row), cols) for row in rows])

    def _take_columns(self, ds: h5py.Dataset, row: slice | int, cols: np.ndarray | None) -> np.ndarray:
        if cols is None:
            return ds[row, : self.num_samples]
        unique, inverse = np.unique(cols, return_inverse=True)
        lo, hi = int(unique[0]), int(unique[-1]) + 1
        many = isinstance(row, slice)
        if len(unique) == hi - lo:
            block = ds[row, lo:hi]
        elif len(unique) <= FEW_COLUMNS:
            block = ds[row, unique.tolist()]
        else:
            block = ds[row, lo:hi]
            block = block[:, unique - lo] if many else block[unique - lo]
        return block[:, inverse] if many else block[inverse]


def _take_rows(ds: h5py.Dataset, rows: np.ndarray, cols: slice) -> np.ndarray:
    if len(rows) and bool(np.all(np.diff(rows) == 1)):
        return ds[int(rows[0]) : int(rows[-1]) + 1, cols]
    return np.stack([ds[int(row), cols] for row in rows]) if len(rows) else ds[:0, cols]


def _check_tails(path: Path, group: h5py.Group, m: int) -> None:
    """ReportError unless the per-sample datasets have M modality columns and 2^M coalition columns."""
    tails = {"phi": (m,), "phi_stderr": (m,), "coalition_values": (2**m,), "prediction": (), "correct": ()}
    for name, tail in tails.items():
        ds = group.get(name)
        if isinstance(ds, h5py.Dataset) and (ds.ndim < 2 or ds.shape[2:] != tail):
            raise ReportError(
                f"{path}: {ds.name} has shape {ds.shape}, expected [epoch, sample{''.join(f', {n}' for n in tail)}] "
                f"for {m} modalities; the report is damaged"
            )
    mean = group.get("mean_phi")
    if isinstance(mean, h5py.Dataset) and mean.shape[1:] != (m,):
        raise ReportError(f"{path}: {mean.name} has shape {mean.shape}, expected [epoch, {m}]; the report is damaged")


def _bisect(ds: h5py.Dataset, size: int, value: int) -> int | None:
    """Position of ``value`` in the first ``size`` entries of a strictly increasing dataset, reading only
    the entries probed (HDF5's chunk cache keeps the few chunks touched)."""
    lo, hi = 0, size
    while lo < hi:
        mid = (lo + hi) // 2
        if int(ds[mid]) < value:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < size and int(ds[lo]) == value else None


def _ranges(values: np.ndarray) -> str:
    if not len(values):
        return "none"
    return f"{int(values.min())}..{int(values.max())}" if len(values) > 1 else str(int(values[0]))
