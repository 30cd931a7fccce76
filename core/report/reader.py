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
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from core.config import ConfigError, RunConfig
from core.report import bounds, layout
from core.report.access import check_identity, committed, report_file
from core.report.errors import ReportError
from core.report.format import RESAMPLING_COLUMNS, attr_list, attr_text
from core.report.report_dataset import ReportDataset
from core.report.split_valuation import SplitValuation, ValuationSelection

__all__ = [
    "Report",
    "ReportDataset",
    "ResamplingTable",
    "SampleHistory",
    "SplitValuation",
    "ValuationSelection",
    "open_report",
]


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


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, bytes | np.bytes_):
        return attr_text(value)
    if isinstance(value, np.generic):
        return value.item()
    return value
