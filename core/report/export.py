"""Writing a consistent copy, or a selection of samples / one split, of a report (live or finished)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from core.report import bounds, layout
from core.report.access import committed, report_file
from core.report.errors import ReportError
from core.report.files import copy_attrs, create_file, replace_durably, tmp_path
from core.report.format import COMPRESSION, ROWS_FROM, attr_text, now_iso
from core.report.reader import open_report


def export_report(
    src: str | Path,
    dst: str | Path,
    sample_index: Sequence[int] | np.ndarray | None = None,
    split: str | None = None,
) -> Path:
    """Write the complete epochs of ``src`` to ``dst`` (through ``dst.tmp``, synced, then an atomic replace).

    ``split`` keeps only that split's valuation; ``sample_index`` keeps only those samples (dataset
    indices): dataset arrays, valuations and re-sampling rows are cut to them and re-indexed, and
    ``dataset/source_index`` records each kept sample's index in ``src``. The copy is a closed,
    ordinary file that any HDF5 tool reads, even when ``src`` is still being written. Every dataset is
    read in blocks of at most ``bounds.BLOCK_BYTES``.
    """
    src, dst = Path(src), Path(dst)
    open_report(src)  # a clear error for a missing, foreign or damaged source
    if dst.exists() and dst.resolve() == src.resolve():
        raise ReportError(f"{dst}: cannot export a report onto itself")
    tmp = tmp_path(dst)
    try:
        with report_file(src) as source:
            bounds.require(src, source)
            selection = _selection(src, source, sample_index)
            splits = _splits(src, source, split)
            try:
                with create_file(tmp) as out:
                    copy_report(source, out, selection, splits)
                    out.attrs["exported_from"] = str(src)
                    out.attrs["exported"] = now_iso()
                replace_durably(tmp, dst)
            except OSError as exc:
                raise ReportError(f"{dst}: cannot write the export ({write_error(exc)})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return dst


def write_error(exc: OSError) -> str:
    """The first line of an OS or HDF5 write error ("No space left on device", ...)."""
    return exc.strerror or (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _selection(path: Path, f: h5py.File, sample_index: Sequence[int] | np.ndarray | None) -> np.ndarray | None:
    if sample_index is None:
        return None
    chosen = np.unique(np.asarray(sample_index, dtype=np.int64))
    size = f["dataset/ids"].shape[0]
    bad = chosen[(chosen < 0) | (chosen >= size)]
    if len(bad):
        raise ReportError(f"{path}: sample index {bad[:5].tolist()} out of range (the dataset has {size} samples)")
    return chosen


def _splits(path: Path, f: h5py.File, split: str | None) -> list[str]:
    names = list(f["valuation"])
    if split is None:
        return names
    by_split = {attr_text(f["valuation"][name].attrs["split"]): name for name in names}
    if split not in by_split:
        raise ReportError(f"{path}: no valuation of split {split!r} (splits: {', '.join(by_split) or 'none'})")
    return [by_split[split]]


def copy_report(
    src: h5py.File, dst: h5py.File, selection: np.ndarray | None = None, splits: list[str] | None = None
) -> None:
    """Copy the complete rows of an open report (whose sizes ``bounds.require`` accepted) into ``dst``:
    ``selection`` (sorted dataset indices) keeps those samples, ``splits`` those valuation groups (default all)."""
    splits = list(src["valuation"]) if splits is None else splits
    copy_attrs(src, dst)
    for name in ("config", "environment", "failure"):
        if name in src:
            src.copy(src[name], dst, name=name)
    if selection is None:
        src.copy(src["dataset"], dst, name="dataset")
    else:
        _write_dataset_subset(src["dataset"], dst, selection)
    for path in layout.TABLES:
        parent = dst.require_group(path.split("/")[0])
        _copy_table(src[path], parent, path.split("/")[1])
    _copy_resampling(src["resampling"], dst, selection)
    dst.create_group("valuation")
    overview = dst.create_group("overview")
    copy_attrs(src["overview"], overview)
    if "default" in overview.attrs:
        del overview.attrs["default"]
    for name in splits:
        group = src["valuation"][name]
        split = attr_text(group.attrs["split"])
        means = _copy_valuation(group, dst["valuation"], name, selection)
        plot = layout.plot_name(split)
        if plot in src["overview"]:
            _copy_plot(src["overview"][plot], overview, plot, means)
    kept = [attr_text(src["valuation"][name].attrs["split"]) for name in splits]
    if kept:
        default = "train" if "train" in kept else kept[0]
        overview.attrs["default"] = layout.plot_name(default)


def _write_dataset_subset(src: h5py.Group, dst: h5py.File, selection: np.ndarray) -> None:
    group = dst.create_group("dataset")
    copy_attrs(src, group)
    group.attrs["num_samples"] = np.int64(len(selection))
    for name in ("ids", "rows", "labels", "splits"):
        _subset(src[name], group, name, selection)
    src.copy(src["class_names"], group, name="class_names")
    src.copy(src["excluded"], group, name="excluded")
    for sub in ("media", "metadata"):
        part = group.create_group(sub)
        for name, ds in src[sub].items():
            _subset(ds, part, name, selection)
    if "source_index" in src:
        _subset(src["source_index"], group, "source_index", selection)
    else:
        layout.static_array(group, "source_index", selection)


def _subset(ds: h5py.Dataset, group: h5py.Group, name: str, selection: np.ndarray) -> None:
    """The selected rows of a per-sample array, read block by block (blocks without one are skipped)."""
    if not len(selection):
        out = group.create_dataset(name, shape=(0,) + ds.shape[1:], dtype=ds.dtype)
    else:
        chunks = (min(len(selection), layout.STATIC_CHUNK),) + ds.shape[1:]
        out = group.create_dataset(name, shape=(len(selection),) + ds.shape[1:], dtype=ds.dtype, chunks=chunks,
                                   **COMPRESSION)  # fmt: skip
    for rows in bounds.row_blocks(ds, ds.shape[0]):
        lo, hi = np.searchsorted(selection, [rows.start, rows.stop]).tolist()
        if hi > lo:
            out[lo:hi] = ds[rows][selection[lo:hi] - rows.start]
    copy_attrs(ds, out)


def _like(ds: h5py.Dataset, group: h5py.Group, name: str, shape: tuple[int, ...]) -> h5py.Dataset:
    """An empty dataset with the storage settings of ``ds`` and the given shape (its rows can grow)."""
    out = group.create_dataset(
        name,
        shape=shape,
        maxshape=(None,) + tuple(ds.maxshape[1:]),
        chunks=ds.chunks,
        dtype=ds.dtype,
        compression=ds.compression,
        compression_opts=ds.compression_opts,
        shuffle=ds.shuffle,
        fillvalue=ds.fillvalue,
    )
    copy_attrs(ds, out)
    return out


def _filled(ds: h5py.Dataset, group: h5py.Group, name: str, values: np.ndarray) -> h5py.Dataset:
    out = _like(ds, group, name, values.shape)
    if values.size:
        out[...] = values
    return out


def _copy_table(src: h5py.Group, parent: h5py.Group, name: str) -> None:
    """A metric table cut to its committed rows."""
    rows = committed(src)
    group = parent.create_group(name)
    copy_attrs(src, group)
    for column, ds in src.items():
        out = _like(ds, group, column, (rows,) + ds.shape[1:])
        for block in bounds.row_blocks(ds, rows):
            out[block] = ds[block]


def _copy_resampling(src: h5py.Group, dst: h5py.File, selection: np.ndarray | None) -> None:
    """The committed plan rows (of the selected samples, re-indexed), block by block."""
    rows = committed(src)
    group = dst.create_group("resampling")
    copy_attrs(src, group)
    outs = {name: _like(ds, group, name, (0,) + ds.shape[1:]) for name, ds in src.items()}
    total = 0
    for block in bounds.row_blocks(src["sample_index"], rows):
        columns = {name: ds[block] for name, ds in src.items()}
        if selection is not None:
            keep = np.isin(columns["sample_index"], selection)
            columns = {name: values[keep] for name, values in columns.items()}
            columns["sample_index"] = np.searchsorted(selection, columns["sample_index"])
        count = len(columns["sample_index"])
        for name, values in columns.items():
            outs[name].resize(total + count, axis=0)
            outs[name][total:] = values
        total += count


def _copy_valuation(src: h5py.Group, parent: h5py.Group, name: str, selection: np.ndarray | None) -> np.ndarray:
    """One split's committed epochs, for the selected samples; returns mean φ per epoch of what was kept.
    Per-sample datasets are copied one epoch row and one block of samples at a time."""
    rows = committed(src)
    samples = min(src["sample_index"].shape[0], src["phi"].shape[1])
    stored = src["sample_index"][:samples]
    if selection is None:
        columns = np.arange(samples)
        new_index = stored
    else:
        columns = np.flatnonzero(np.isin(stored, selection))
        new_index = np.searchsorted(selection, stored[columns])
    group = parent.create_group(name)
    copy_attrs(src, group)
    _filled(src["sample_index"], group, "sample_index", new_index)
    m = len(src.attrs["modalities"])
    sums, counts = np.zeros((rows, m)), np.zeros((rows, m), dtype=np.int64)
    for column, ds in src.items():
        if column in ("sample_index", "mean_phi"):
            continue
        if ds.ndim < 2:
            out = _like(ds, group, column, (rows,))
            for block in bounds.row_blocks(ds, rows):
                out[block] = ds[block]
            continue
        out = _like(ds, group, column, (rows, len(columns)) + ds.shape[2:])
        for row in range(rows):
            for block in bounds.column_blocks(ds, 1, len(columns)):
                values = _take_columns(ds, row, columns[block])
                out[row, block] = values
                if column == "phi":
                    valued = np.isfinite(values)
                    sums[row] += np.where(valued, values, 0).sum(axis=0)
                    counts[row] += valued.sum(axis=0)
    if selection is None:
        means = src["mean_phi"][:rows]
    else:
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan).astype(np.float32)
    _filled(src["mean_phi"], group, "mean_phi", means)
    return means


def _take_columns(ds: h5py.Dataset, row: int, columns: np.ndarray) -> np.ndarray:
    """``ds[row, columns]`` (columns increasing), reading their span when compact, else just those."""
    if not len(columns):
        return np.zeros((0,) + ds.shape[2:], dtype=ds.dtype)
    lo, hi = int(columns[0]), int(columns[-1]) + 1
    if hi - lo <= 4 * len(columns) + 4096:
        return ds[row, lo:hi][columns - lo]
    return ds[row, columns.tolist()]


def _copy_plot(src: h5py.Group, overview: h5py.Group, name: str, means: np.ndarray) -> None:
    rows = len(means)
    plot = overview.create_group(name)
    copy_attrs(src, plot)
    for column, ds in src.items():
        out = _like(ds, plot, column, (rows,))
        values = ds[:rows] if column == attr_text(src.attrs[ROWS_FROM]) else means[:, _modality_position(src, ds)]
        if rows:
            out[...] = values


def _modality_position(plot: h5py.Group, ds: h5py.Dataset) -> int:
    names = [attr_text(plot.attrs["signal"])]
    if "auxiliary_signals" in plot.attrs:
        names += [attr_text(v) for v in np.atleast_1d(plot.attrs["auxiliary_signals"])]
    return names.index(ds.name.rsplit("/", 1)[1])
