"""Reading reports, finished or still being written: ``open_report(path) -> Report``.

Opening checks every dataset's declared size against the file's storage (``core.report.bounds``),
then reads only attributes and the small epoch indexes; per-sample arrays are read when first
accessed (and cached), and ``SplitValuation.select`` reads just the requested slice, so a report of
a million samples opens in milliseconds. No file handle is kept between reads: each read opens the
file briefly (or, for a report this process is writing, goes through the writer's handle). A
``Report`` is a snapshot: it shows the rows committed when it was opened or last ``refresh()``-ed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import h5py
import numpy as np

import core
from core.config import ConfigError, RunConfig
from core.data.prepared import Exclusion
from core.report import bounds, layout
from core.report.errors import ReportError
from core.report.files import reading_file
from core.report.format import (
    FORMAT_NAME,
    FORMAT_VERSION,
    RESAMPLING_COLUMNS,
    SORTED,
    attr_list,
    attr_text,
    decode_strings,
)
from core.valuation.interaction import pair_interactions, pair_labels

REQUIRED_GROUPS = ("config", "environment", "dataset", "valuation", "training", "mi", "resampling")
PER_SAMPLE_ARRAYS = ("ids", "rows", "labels", "splits")
FEW_COLUMNS = 1024
BISECT_LIMIT = 16


def open_report(path: str | Path) -> Report:
    """Open a report for reading; raises ReportError saying what is wrong with the file and what to do."""
    path = Path(path)
    if not path.exists():
        raise ReportError(f"{path}: no such file")
    if path.is_dir():
        raise ReportError(f"{path}: is a folder, expected a ModaLens report file (.h5)")
    try:
        if path.stat().st_size == 0:
            raise ReportError(f"{path}: the file is empty, not a ModaLens report (was its writer stopped early?)")
        if not h5py.is_hdf5(path):
            raise ReportError(f"{path}: not an HDF5 file; expected a ModaLens report (.h5) written by a run")
    except PermissionError:
        raise ReportError(f"{path}: permission denied, cannot read the file") from None
    return Report(path)


@contextmanager
def report_file(path: Path, what: str = "the report") -> Iterator[h5py.File]:
    """The report's file for one read; low-level failures become a ReportError naming file and object."""
    opened = False
    try:
        with reading_file(path) as file:
            opened = True
            yield file
    except ReportError:
        raise
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except PermissionError:
        raise ReportError(f"{path}: permission denied, cannot read the file") from None
    # h5py raises RuntimeError on some damage; malformed attributes or shapes give TypeError / IndexError
    except (OSError, KeyError, ValueError, RuntimeError, TypeError, IndexError) as exc:
        if not opened:
            raise ReportError(damaged_message(path, exc)) from None
        raise ReportError(
            f"{path}: cannot read {what} ({_first_line(exc)}); the report is damaged, or a resumed run cut it "
            "short since it was opened (call refresh())"
        ) from None


def damaged_message(path: Path, exc: BaseException) -> str:
    kind = "truncated" if "truncated" in str(exc) else "damaged"
    return (
        f"{path}: the report is {kind} and cannot be read ({_first_line(exc)}); if a run is still writing it, "
        "try again in a moment, otherwise re-run or restore the file from a copy"
    )


def check_identity(path: Path, file: h5py.File) -> None:
    """Raise ReportError unless the file says it is a ModaLens report of a version this code reads."""
    if "format" not in file.attrs:
        raise ReportError(f"{path}: an HDF5 file but not a ModaLens report (it has no 'format' attribute)")
    name = attr_text(file.attrs["format"])
    if name != FORMAT_NAME:
        raise ReportError(f"{path}: an HDF5 file of format {name!r}, not a ModaLens report ({FORMAT_NAME!r})")
    raw = file.attrs.get("format_version")
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise ReportError(f"{path}: the report's format_version {raw!r} is not a number; the file is damaged") from None
    if version > FORMAT_VERSION:
        raise ReportError(
            f"{path}: written by a newer ModaLens (report format version {version}; ModaLens {core.__version__} "
            f"reads version {FORMAT_VERSION}): update ModaLens to open it"
        )
    if version < 1:
        raise ReportError(f"{path}: unknown report format version {version}; expected {FORMAT_VERSION}")
    missing = [name for name in REQUIRED_GROUPS if name not in file]
    if missing:
        raise ReportError(f"{path}: the report is damaged: missing group(s) {', '.join(missing)}")


def committed(table: h5py.Group) -> int:
    """Rows a reader may show: the committed count, never more than any row dataset holds."""
    return min(ds.shape[0] for ds in layout.row_datasets(table, with_index=True))


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


@dataclass(frozen=True)
class SampleHistory:
    """One sample over every epoch of one split, with its re-sampling rows."""

    split: str
    sample_index: int
    sample_id: str
    label: int
    epochs: np.ndarray
    modalities: list[str]
    phi: np.ndarray
    coalition_values: np.ndarray
    prediction: np.ndarray
    correct: np.ndarray
    phi_stderr: np.ndarray | None
    resampled: dict[str, np.ndarray]


@dataclass(frozen=True)
class ResamplingTable:
    """Extra copies planned per (epoch, sample, kept modality); ``modality`` indexes ``modalities``."""

    modalities: list[str]
    epoch: np.ndarray
    sample_index: np.ndarray
    modality: np.ndarray
    copies: np.ndarray
    user_requested: np.ndarray

    def copies_per_epoch(self) -> dict[int, int]:
        """Total extra copies planned for each epoch."""
        totals: dict[int, int] = {}
        for epoch, copies in zip(self.epoch.tolist(), self.copies.tolist(), strict=True):
            totals[epoch] = totals.get(epoch, 0) + copies
        return totals


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
            from core.valuation.revalue import revalue

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
            yield from self._blocks(("phi",), epoch, block_bytes)
            return
        if value_fn not in self.value_functions:
            self.values_as(value_fn)  # raises the clear error
        from core.valuation.revalue import revalue

        for index, correct, log_p in self._blocks(("coalition_correct", "coalition_log_p"), epoch, block_bytes):
            yield index, revalue(correct, log_p, value_fn)[0]

    def value_blocks(
        self, epoch: int | None = None, block_bytes: int | None = None, value_fn: str | None = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """``(sample_index, phi[epoch, sample, modality], v[epoch, sample, 2^M])`` block by block, as
        :meth:`phi_blocks` with the coalition values alongside (to derive pair interactions from)."""
        if value_fn is None or value_fn == self.value_fn:
            yield from self._blocks(("phi", "coalition_values"), epoch, block_bytes)
            return
        if value_fn not in self.value_functions:
            self.values_as(value_fn)  # raises the clear error
        from core.valuation.revalue import revalue

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


class ReportDataset:
    """The run's samples as stored in the report, each array read on first access: ids, labels, splits,
    media paths relative to ``root``, metadata columns and excluded samples."""

    def __init__(self, path: Path, group: h5py.Group) -> None:
        self._path = path
        self.root = attr_text(group.attrs.get("root", ""))
        self.num_samples = int(group.attrs.get("num_samples", group["ids"].shape[0]))
        per_sample = [group[name] for name in PER_SAMPLE_ARRAYS if name in group]
        per_sample += [ds for sub in ("media", "metadata") for ds in group.get(sub, {}).values()]
        for ds in per_sample:
            if ds.ndim == 0 or ds.shape[0] != self.num_samples:
                raise ReportError(
                    f"{path}: {ds.name} has shape {ds.shape}, expected one entry per sample (/dataset/@num_samples = "
                    f"{self.num_samples}); the report is damaged"
                )

    def __len__(self) -> int:
        return self.num_samples

    @contextmanager
    def _group(self, what: str) -> Iterator[h5py.Group]:
        with report_file(self._path, f"/dataset/{what}") as f:
            yield f["dataset"]

    def _array(self, name: str) -> np.ndarray:
        with self._group(name) as g:
            return g[name][()]

    @cached_property
    def ids(self) -> np.ndarray:
        return decode_strings(self._array("ids"))

    @cached_property
    def rows(self) -> np.ndarray:
        return self._array("rows")

    @cached_property
    def labels(self) -> np.ndarray:
        return self._array("labels")

    @cached_property
    def splits(self) -> np.ndarray:
        return decode_strings(self._array("splits"))

    @cached_property
    def class_names(self) -> list[str]:
        return decode_strings(self._array("class_names")).tolist()

    @cached_property
    def modality_kinds(self) -> dict[str, str]:
        with self._group("media") as g:
            return {attr_text(ds.attrs["modality"]): attr_text(ds.attrs.get("kind", "")) for ds in g["media"].values()}

    @cached_property
    def media(self) -> dict[str, np.ndarray]:
        with self._group("media") as g:
            return {attr_text(ds.attrs["modality"]): decode_strings(ds[()]) for ds in g["media"].values()}

    @cached_property
    def metadata(self) -> dict[str, np.ndarray]:
        columns = {}
        with self._group("metadata") as g:
            for name, ds in g["metadata"].items():
                values = ds[()]
                column = attr_text(ds.attrs.get("column", name))
                columns[column] = decode_strings(values) if values.dtype.kind in "SOU" else values
        return columns

    @cached_property
    def excluded(self) -> list[Exclusion]:
        with self._group("excluded") as g:
            group = g["excluded"]
            rows = group["row"][()].tolist()
            texts = {name: decode_strings(group[name][()]).tolist() for name in ("id", "column", "file", "reason")}
        return [
            Exclusion(row, texts["id"][i], texts["column"][i], texts["file"][i], texts["reason"][i])
            for i, row in enumerate(rows)
        ]

    @property
    def num_excluded_samples(self) -> int:
        """Number of samples left out (distinct manifest rows among the exclusions)."""
        with self._group("excluded") as g:
            rows = g["excluded"]["row"]
            return len(np.unique(rows[: rows.shape[0]]))

    def split_counts(self) -> dict[str, int]:
        """Number of samples per split name, read in blocks."""
        counts: dict[bytes | str, int] = {}
        with self._group("splits") as g:
            ds = g["splits"]
            for rows in bounds.row_blocks(ds, ds.shape[0]):
                names, found = np.unique(ds[rows], return_counts=True)
                for name, count in zip(names.tolist(), found.tolist(), strict=True):
                    counts[name] = counts.get(name, 0) + count
        text = decode_strings(np.asarray(list(counts), dtype=object)).tolist() if counts else []
        return dict(sorted(zip(text, counts.values(), strict=True)))

    def take(self, name: str, indices: np.ndarray) -> np.ndarray:
        """Values of ``/dataset/<name>`` at the given sample indices (strings decoded), reading only the
        span they cover when it is compact, else just those entries."""
        indices = np.asarray(indices, dtype=np.int64)
        with self._group(name) as g:
            ds = g[name]
            if not len(indices):
                values = ds[:0]
            else:
                lo, hi = int(indices.min()), int(indices.max()) + 1
                if lo < 0 or hi > ds.shape[0]:
                    bad = lo if lo < 0 else hi - 1
                    raise ReportError(f"{self._path}: sample index {bad} out of range (/dataset/{name} has {ds.shape[0]})")
                if hi - lo <= 4 * len(indices) + 4096:
                    values = ds[lo:hi][indices - lo]
                else:
                    unique, inverse = np.unique(indices, return_inverse=True)
                    values = ds[unique.tolist()][inverse]  # h5py reads lists of increasing indices
        return decode_strings(values) if values.dtype.kind in "SOU" else values

    def sample(self, index: int) -> tuple[str, int]:
        """Id and label of one sample, read without loading the whole arrays."""
        with self._group("ids") as g:
            sample_id = decode_strings(g["ids"][index : index + 1])
            label = g["labels"][index : index + 1]
        if not len(sample_id):
            raise ReportError(f"{self._path}: sample index {index} out of range (the dataset has {self.num_samples})")
        return str(sample_id[0]), int(label[0])


class Report:
    """A report file open for reading (use ``open_report``); usable as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._signature: tuple = ()
        self._load()

    def __enter__(self) -> Report:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Report({str(self.path)!r}, state={self.state!r}, splits={list(self.valuation)})"

    def close(self) -> None:
        """Drop cached arrays (no file handle is held between reads)."""
        self._forget()

    def _forget(self) -> None:
        for name in [n for n in vars(self) if n in _CACHED]:
            delattr(self, name)

    def _load(self) -> None:
        with report_file(self.path) as f:
            check_identity(self.path, f)
            bounds.require(self.path, f)
            attrs = f.attrs
            self.format_version = int(attrs["format_version"])
            self.state = attr_text(attrs["state"])
            self.created = attr_text(attrs["created"])
            self.creator = attr_text(attrs.get("creator", ""))
            self.modalities = attr_list(attrs["modalities"])
            self.total_epochs = int(attrs.get("total_epochs", 0))
            self.epochs_done = int(attrs.get("epochs_done", 0))
            best = int(attrs.get("best_epoch", -1))
            self.best_epoch = None if best < 0 else best
            accuracy = float(attrs.get("best_val_accuracy", math.nan))
            self.best_val_accuracy = None if math.isnan(accuracy) else accuracy
            self.environment = {key: attr_text(value) for key, value in f["environment"].attrs.items()}
            self.config_values = {key: _plain(value) for key, value in f["config"].attrs.items()}
            self.dataset = ReportDataset(self.path, f["dataset"])
            splits = [SplitValuation(self.path, group) for group in f["valuation"].values()]
            for split in splits:
                if split.num_samples > self.dataset.num_samples:
                    raise ReportError(
                        f"{self.path}: split {split.split!r} values {split.num_samples} samples, more than the "
                        f"{self.dataset.num_samples} of /dataset; the report is damaged"
                    )
            self.valuation = {split.split: split for split in splits}
            found = layout.tables(f)
            self._rows = {table.name: committed(table) for table in found}
            self.failure = None
            if "failure" in f:
                self.failure = (attr_text(f["failure/error"][()]), attr_text(f["failure/traceback"][()]))
            tables = tuple(sorted((t.name, self._rows[t.name], tuple(t)) for t in found))
        self._signature = (self.state, self.environment.get("end_time", ""), self.failure, tables)

    def refresh(self) -> bool:
        """Pick up what a live writer added since opening (or the last refresh); True if anything changed.

        Objects taken from this report before (``report.valuation[...]``) keep showing the old snapshot.
        """
        before = self._signature
        self._forget()
        self._load()
        return self._signature != before

    @cached_property
    def config_toml(self) -> str:
        with report_file(self.path, "/config/toml") as f:
            return attr_text(f["config/toml"][()])

    @cached_property
    def config(self) -> RunConfig:
        try:
            return RunConfig.from_toml(self.config_toml, f"{self.path}:config/toml")
        except ConfigError as exc:
            raise ReportError(f"{exc} (the report's stored config does not match this ModaLens)") from None

    @cached_property
    def step_metrics(self) -> dict[str, np.ndarray]:
        """Per-step columns: global_step, step (within the epoch), epoch, wall_time and every metric key."""
        return self._table("/training/step")

    @cached_property
    def epoch_metrics(self) -> dict[str, np.ndarray]:
        """Per-epoch columns: epoch, wall_time and every metric key ("train/acc", "val/acc", ...)."""
        return self._table("/training/epoch")

    @cached_property
    def mi_step(self) -> dict[str, np.ndarray]:
        return self._table("/mi/step")

    @cached_property
    def mi_epoch(self) -> dict[str, np.ndarray]:
        return self._table("/mi/epoch")

    @cached_property
    def resampling(self) -> ResamplingTable:
        rows = self._rows["/resampling"]
        with report_file(self.path, "/resampling") as f:
            group = f["resampling"]
            columns = {name: group[name][:rows] for name in RESAMPLING_COLUMNS}
            modalities = attr_list(group.attrs["modalities"])
        columns["user_requested"] = columns["user_requested"].astype(bool)
        return ResamplingTable(modalities=modalities, **columns)

    def copies_per_epoch(self) -> dict[int, int]:
        """Total extra copies planned for each epoch, read in blocks."""
        if "resampling" in vars(self):
            return self.resampling.copies_per_epoch()
        rows = self._rows["/resampling"]
        totals: dict[int, int] = {}
        with report_file(self.path, "/resampling") as f:
            group = f["resampling"]
            for block in bounds.row_blocks(group["copies"], rows):
                epochs, inverse = np.unique(group["epoch"][block], return_inverse=True)
                sums = np.zeros(len(epochs), dtype=np.int64)
                np.add.at(sums, inverse, group["copies"][block].astype(np.int64))
                for epoch, total in zip(epochs.tolist(), sums.tolist(), strict=True):
                    totals[epoch] = totals.get(epoch, 0) + total
        return totals

    def epochs(self) -> np.ndarray:
        """Every epoch with a valuation or epoch metrics, sorted."""
        parts = [v.epochs for v in self.valuation.values()] + [self.epoch_metrics["epoch"]]
        return np.unique(np.concatenate(parts).astype(np.int64))

    def sample_history(self, split: str, sample_index: int) -> SampleHistory:
        """Every epoch's values of one sample (a dataset index) in one split."""
        if split not in self.valuation:
            splits = ", ".join(self.valuation) or "none"
            raise ReportError(f"{self.path}: no valuation of split {split!r} (splits: {splits})")
        chosen = self.valuation[split].select(samples=[sample_index])
        sample_id, label = self.dataset.sample(int(sample_index))
        return SampleHistory(
            split=split,
            sample_index=int(sample_index),
            sample_id=sample_id,
            label=label,
            epochs=chosen.epochs,
            modalities=chosen.modalities,
            phi=chosen.phi[:, 0],
            coalition_values=chosen.coalition_values[:, 0],
            prediction=chosen.prediction[:, 0],
            correct=chosen.correct[:, 0],
            phi_stderr=None if chosen.phi_stderr is None else chosen.phi_stderr[:, 0],
            resampled=self._resampled(int(sample_index)),
        )

    def _resampled(self, sample_index: int) -> dict[str, np.ndarray]:
        """Epoch, kept modality and copies of the plan rows of one sample (reads only those rows)."""
        if "resampling" in vars(self):
            table = self.resampling
            mine = table.sample_index == sample_index
            return {"epoch": table.epoch[mine], "modality": table.modality[mine], "copies": table.copies[mine]}
        rows = self._rows["/resampling"]
        with report_file(self.path, "/resampling") as f:
            group = f["resampling"]
            mine = np.flatnonzero(group["sample_index"][:rows] == sample_index)
            return {name: group[name][mine] if len(mine) else group[name][:0] for name in ("epoch", "modality", "copies")}

    def _table(self, path: str) -> dict[str, np.ndarray]:
        rows = self._rows[path]
        with report_file(self.path, path) as f:
            return {
                attr_text(ds.attrs["key"]) if "key" in ds.attrs else name: ds[:rows] for name, ds in f[path].items()
            }


_CACHED = {name for name, value in vars(Report).items() if isinstance(value, cached_property)}


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


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, bytes | np.bytes_):
        return attr_text(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _ranges(values: np.ndarray) -> str:
    if not len(values):
        return "none"
    return f"{int(values.min())}..{int(values.max())}" if len(values) > 1 else str(int(values[0]))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
