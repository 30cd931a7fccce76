"""Creating the groups and datasets of a report, and growing its tables row by row.

Every growing dataset belongs to a *table*: a group whose ``rows_from`` attribute names the dataset
that is extended last. Writers stage the other datasets first, flush, then extend that dataset
(commit) and flush again, so a reader (or a file left by a killed writer) never shows a row whose
data is incomplete: rows beyond the committed count are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import h5py
import numpy as np

import core
from core.report.format import (
    COMPRESSION,
    EPOCH_INDEX,
    FORMAT_NAME,
    FORMAT_VERSION,
    PER_SAMPLE,
    ROW_CHUNK,
    ROWS_FROM,
    SAMPLE_CHUNK,
    SORTED,
    STATE_DTYPE,
    STEP_INDEX,
    TEXT_DTYPE,
    TIME_DTYPE,
    attr_list,
    attr_text,
    encode_name,
    string_array,
)
from core.run_files.state import RunState
from core.valuation.result import coalition_labels

CHUNK_BYTES = 128 * 1024
STATIC_CHUNK = 16384
COALITION_ORDER = "column c holds the coalition whose members are the modalities j with bit j of c set"
INDEX_DTYPES = {"global_step": "i8", "step": "i4", "epoch": "i4", "wall_time": "f8"}
RESAMPLING_DTYPES = {"epoch": "i4", "sample_index": "i8", "modality": "i4", "copies": "i4", "user_requested": "u1"}
TABLES = {
    "training/step": STEP_INDEX,
    "training/epoch": EPOCH_INDEX,
    "mi/step": STEP_INDEX,
    "mi/epoch": EPOCH_INDEX,
}


# --- static content, written once when the file is made -------------------------------------------------


def write_root(f: h5py.File, *, created: str, modalities: list[str], total_epochs: int, steps_per_epoch: int) -> None:
    """Root attributes: format identity, state, run shape and the NeXus default plot chain."""
    f.attrs["format"] = FORMAT_NAME
    f.attrs["format_version"] = np.int64(FORMAT_VERSION)
    f.attrs["creator"] = f"ModaLens {core.__version__}"
    f.attrs["created"] = created
    f.attrs.create("state", RunState.RUNNING, dtype=STATE_DTYPE)
    f.attrs["modalities"] = np.asarray(modalities, dtype=TEXT_DTYPE)
    f.attrs["total_epochs"] = np.int64(total_epochs)
    f.attrs["steps_per_epoch"] = np.int64(steps_per_epoch)
    f.attrs["epochs_done"] = np.int64(0)
    f.attrs["best_epoch"] = np.int64(-1)
    f.attrs["best_val_accuracy"] = np.float64(np.nan)
    f.attrs["NX_class"] = "NXroot"
    f.attrs["default"] = "overview"
    overview = f.create_group("overview")
    overview.attrs["NX_class"] = "NXentry"
    overview.attrs["title"] = "Mean Shapley value per modality over epochs"


def write_config(f: h5py.File, toml_text: str, values: Mapping[str, Any]) -> None:
    """The run config: full TOML text and every scalar (or list of scalars) as a flat attribute."""
    group = f.create_group("config")
    group.create_dataset("toml", data=toml_text, dtype=TEXT_DTYPE)
    for key, value in values.items():
        group.attrs[key] = _attr_value(value)


def write_environment(f: h5py.File, info: Mapping[str, str], start_time: str) -> None:
    """Versions, device, host and times; ``end_time`` is fixed-size so it can be set while live."""
    group = f.create_group("environment")
    for key, value in info.items():
        group.attrs[key] = value
    group.attrs["start_time"] = start_time
    group.attrs.create("end_time", "", dtype=TIME_DTYPE)


def write_dataset(f: h5py.File, data: Any, class_names: list[str], modalities: list[str]) -> None:
    """Ids, labels, splits, media paths, metadata and exclusions of the prepared dataset (no tensors)."""
    group = f.create_group("dataset")
    samples = None if data is None else data.samples
    n = 0 if samples is None else len(samples)
    group.attrs["root"] = "" if data is None else str(data.root)
    group.attrs["num_samples"] = np.int64(n)
    static_array(group, "ids", string_array([] if samples is None else samples.ids))
    static_array(group, "rows", np.asarray([] if samples is None else samples.rows, dtype=np.int64))
    static_array(group, "labels", np.asarray([] if samples is None else samples.labels, dtype=np.int64))
    static_array(group, "splits", string_array([] if samples is None else samples.splits))
    static_array(group, "class_names", string_array(samples.class_names if samples is not None else class_names))
    media = group.create_group("media")
    for modality in modalities if samples is None else samples.modalities:
        paths = samples.media.get(modality, []) if samples is not None else []
        ds = static_array(media, encode_name(modality), string_array(paths))
        ds.attrs["modality"] = modality
        ds.attrs["kind"] = "" if samples is None else samples.modality_kinds.get(modality, "")
    metadata = group.create_group("metadata")
    for column, values in ({} if samples is None else samples.metadata).items():
        ds = static_array(metadata, _unique_name(metadata, encode_name(column)), _metadata_array(values))
        ds.attrs["column"] = column
    excluded = group.create_group("excluded")
    rows = [] if data is None else list(data.excluded)
    static_array(excluded, "row", np.asarray([e.row for e in rows], dtype=np.int64))
    for name, attr in (("id", "sample_id"), ("column", "column"), ("file", "file"), ("reason", "reason")):
        static_array(excluded, name, string_array(getattr(e, attr) for e in rows))


def static_array(group: h5py.Group, name: str, values: np.ndarray) -> h5py.Dataset:
    if values.shape[0] == 0:
        return group.create_dataset(name, data=values)
    chunk = (min(values.shape[0], STATIC_CHUNK),) + values.shape[1:]
    return group.create_dataset(name, data=values, chunks=chunk, **COMPRESSION)


def _metadata_array(values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind in "biuf":
        return array
    return string_array(array.ravel().tolist()).reshape(array.shape)


def _attr_value(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return np.asarray(value, dtype=TEXT_DTYPE)
    if isinstance(value, list) and value and all(isinstance(v, bool | int | float) for v in value):
        return np.asarray(value)
    return repr(value)


# --- growing content -------------------------------------------------------------------------------------


def create_dynamic(f: h5py.File, modalities: list[str]) -> None:
    """Empty metric tables, the resampling table and the valuation group."""
    for path, index in TABLES.items():
        group = f.require_group(path.split("/")[0]).create_group(path.split("/")[1])
        group.attrs[ROWS_FROM] = index[0]
        for name in index:
            column = _column(group, name, INDEX_DTYPES[name])
            if name == "wall_time":
                column.attrs["units"] = "s"
    resampling = f.create_group("resampling")
    resampling.attrs[ROWS_FROM] = "epoch"
    resampling.attrs["modalities"] = np.asarray(modalities, dtype=TEXT_DTYPE)
    for name, dtype in RESAMPLING_DTYPES.items():
        _column(resampling, name, dtype, chunk=65536)
    f.create_group("valuation")


def add_metric_column(table: h5py.Group, key: str) -> str:
    """A float64 column for a metric key (NaN where a row has no value); returns its dataset name."""
    name = _unique_name(table, encode_name(key))
    ds = _column(table, name, "f8", fill=np.nan)
    ds.attrs["key"] = key
    if table.attrs[ROWS_FROM] in table:
        ds.resize(committed_rows(table), axis=0)
    return name


def metric_columns(table: h5py.Group) -> dict[str, str]:
    """Metric key -> dataset name for a metric table."""
    return {attr_text(ds.attrs["key"]): name for name, ds in table.items() if "key" in ds.attrs}


def create_valuation(
    f: h5py.File, split: str, modalities: list[str], value_fn: str, method: str, num_samples: int
) -> h5py.Group:
    """An empty valuation group for one split, plus its NeXus plot of mean φ per modality."""
    group = f["valuation"].create_group(encode_name(split))
    m = len(modalities)
    group.attrs["split"] = split
    group.attrs["value_fn"] = value_fn
    group.attrs["method"] = method
    group.attrs["modalities"] = np.asarray(modalities, dtype=TEXT_DTYPE)
    group.attrs["coalition_labels"] = np.asarray(coalition_labels(modalities), dtype=TEXT_DTYPE)
    group.attrs["coalition_order"] = COALITION_ORDER
    group.attrs[ROWS_FROM] = "epoch"
    group.attrs[PER_SAMPLE] = np.asarray(["sample_index"], dtype=TEXT_DTYPE)
    group.attrs[SORTED] = np.uint8(1)
    _column(group, "epoch", "i4", chunk=256)
    _column(group, "sample_index", "i8", chunk=STATIC_CHUNK)
    _per_sample(group, "phi", (m,), "f4", np.nan, num_samples)
    _per_sample(group, "coalition_values", (2**m,), "f4", np.nan, num_samples)
    _per_sample(group, "prediction", (), "i4", -1, num_samples)
    _per_sample(group, "correct", (), "u1", 0, num_samples)
    _per_sample(group, "coalition_correct", (2**m,), "u1", 0, num_samples)
    _per_sample(group, "coalition_log_p", (2**m,), "f4", np.nan, num_samples)
    mean = group.create_dataset("mean_phi", (0, m), maxshape=(None, m), chunks=(256, m), dtype="f4", fillvalue=np.nan)
    mean.attrs["description"] = "mean of phi over the samples valued at each epoch"
    _create_plot(f, split, modalities)
    return group


def add_stderr(group: h5py.Group, num_modalities: int) -> None:
    """The optional standard error of Monte-Carlo Shapley estimates (NaN for rows without one)."""
    samples = group["sample_index"].shape[0]
    ds = _per_sample(group, "phi_stderr", (num_modalities,), "f4", np.nan, samples)
    ds.resize((committed_rows(group), samples, num_modalities))


def plot_name(split: str) -> str:
    return f"mean_phi_{encode_name(split)}"


def _create_plot(f: h5py.File, split: str, modalities: list[str]) -> None:
    overview = f["overview"]
    plot = overview.create_group(plot_name(split))
    names = [f"phi_{encode_name(m)}" for m in modalities]
    plot.attrs["NX_class"] = "NXdata"
    plot.attrs["title"] = f"Mean Shapley value per modality, split {split}"
    plot.attrs["signal"] = names[0]
    if len(names) > 1:
        plot.attrs["auxiliary_signals"] = np.asarray(names[1:], dtype=TEXT_DTYPE)
    plot.attrs["axes"] = "epoch"
    plot.attrs[ROWS_FROM] = "epoch"
    plot.attrs["split"] = split
    axis = _column(plot, "epoch", "i4", chunk=256)
    axis.attrs["long_name"] = "epoch"
    for modality, name in zip(modalities, names, strict=True):
        ds = _column(plot, name, "f4", fill=np.nan, chunk=256)
        ds.attrs["long_name"] = f"mean φ {modality}"
        ds.attrs["modality"] = modality
    if "default" not in overview.attrs or split == "train":
        overview.attrs["default"] = plot.name.rsplit("/", 1)[1]


def _column(group: h5py.Group, name: str, dtype: str, fill: Any = None, chunk: int = ROW_CHUNK) -> h5py.Dataset:
    return group.create_dataset(
        name, shape=(0,), maxshape=(None,), chunks=(chunk,), dtype=dtype, fillvalue=fill, **COMPRESSION
    )


def _per_sample(
    group: h5py.Group, name: str, tail: tuple[int, ...], dtype: str, fill: Any, num_samples: int
) -> h5py.Dataset:
    width = math.prod(tail) * np.dtype(dtype).itemsize
    samples = max(1, min(SAMPLE_CHUNK, CHUNK_BYTES // width, num_samples or SAMPLE_CHUNK))
    return group.create_dataset(
        name,
        shape=(0, 0) + tail,
        maxshape=(None, None) + tail,
        chunks=(1, samples) + tail,
        dtype=dtype,
        fillvalue=fill,
        **COMPRESSION,
    )


def _unique_name(group: h5py.Group, name: str) -> str:
    candidate, k = name, 2
    while candidate in group:
        candidate, k = f"{name}~{k}", k + 1
    return candidate


# --- rows ------------------------------------------------------------------------------------------------


def committed_rows(table: h5py.Group) -> int:
    """Number of complete rows of a table: the length of its ``rows_from`` dataset."""
    return table[attr_text(table.attrs[ROWS_FROM])].shape[0]


def row_datasets(table: h5py.Group, with_index: bool = False) -> list[h5py.Dataset]:
    """Datasets of a table whose first axis is the row (the committing one only if ``with_index``)."""
    skip = set(attr_list(table.attrs.get(PER_SAMPLE, [])))
    if not with_index:
        skip.add(attr_text(table.attrs[ROWS_FROM]))
    return [ds for name, ds in table.items() if isinstance(ds, h5py.Dataset) and name not in skip]


def stage_rows(
    table: h5py.Group, start: int, stop: int, columns: Mapping[str, np.ndarray], total: int | None = None
) -> None:
    """Phase 1: size every row dataset to ``total`` rows (default ``stop``) and write rows [start, stop);
    datasets not in ``columns`` get their fill value there."""
    total = stop if total is None else total
    for ds in row_datasets(table):
        if ds.shape[0] != total:
            ds.resize(total, axis=0)
        if stop > start:
            values = columns.get(ds.name.rsplit("/", 1)[1])
            ds[start:stop] = _fill_rows(ds, stop - start) if values is None else values


def _fill_rows(ds: h5py.Dataset, rows: int) -> np.ndarray:
    """``rows`` rows of the dataset's fill value as one full-shaped array: written as a scalar, h5py would
    broadcast it with one write per row (and readers need the chunks written, see bounds.py)."""
    return np.full((rows,) + ds.shape[1:], ds.fillvalue, dtype=ds.dtype)


def commit_rows(table: h5py.Group, start: int, index_values: np.ndarray, total: int | None = None) -> None:
    """Phase 2 (after a flush of phase 1): size the committing dataset to ``total`` rows (default
    ``start + len(index_values)``) and write its values, making the rows visible."""
    ds = table[attr_text(table.attrs[ROWS_FROM])]
    stop = start + len(index_values)
    total = stop if total is None else total
    if ds.shape[0] != total:
        ds.resize(total, axis=0)
    if stop > start:
        ds[start:stop] = index_values


def tables(f: h5py.File) -> list[h5py.Group]:
    """Every table group in the file (they live at most two levels down, outside /dataset)."""
    found: list[h5py.Group] = []
    for name in ("training", "mi", "resampling", "valuation", "overview"):
        group = f.get(name)
        if isinstance(group, h5py.Group):
            candidates = [group, *(child for child in group.values() if isinstance(child, h5py.Group))]
            found.extend(g for g in candidates if ROWS_FROM in g.attrs)
    return found


def truncate_table(table: h5py.Group, rows: int) -> None:
    """Cut a table (committing dataset included) to its first ``rows`` rows."""
    for ds in row_datasets(table, with_index=True):
        if ds.shape[0] > rows:
            ds.resize(rows, axis=0)
