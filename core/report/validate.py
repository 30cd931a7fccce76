"""Checking a file against the report format (docs/report-format.md), listing every deviation."""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path

import h5py
import numpy as np

from core.report import bounds, layout
from core.report.access import REQUIRED_GROUPS, committed, damaged_message
from core.report.errors import ReportError
from core.report.files import reading_file
from core.report.format import (
    FORMAT_NAME,
    PER_SAMPLE,
    READABLE_VERSIONS,
    RESAMPLING_COLUMNS,
    ROWS_FROM,
    STATES,
    attr_list,
    attr_text,
    is_mi_key,
)
from core.run_files.state import RunState
from core.valuation.result import coalition_labels

ENVIRONMENT_KEYS = (
    "python", "torch", "pyside6", "numpy", "h5py", "opencv", "device", "git_commit", "hostname", "start_time", "end_time",
)  # fmt: skip
DATASET_ARRAYS = ("ids", "rows", "labels", "splits", "class_names")
EXCLUDED_COLUMNS = ("row", "id", "column", "file", "reason")


def validate_report(path: str | Path) -> list[str]:
    """Every way the file deviates from report format version 1 (empty list: valid).

    Raises ReportError only when the file cannot be opened as HDF5 at all.
    """
    path = Path(path)
    if not path.is_file():
        raise ReportError(f"{path}: no such file")
    if not h5py.is_hdf5(path):
        raise ReportError(f"{path}: not an HDF5 file; expected a ModaLens report (.h5)")
    try:
        with reading_file(path) as file:
            checker = _Checker(file)
            try:
                sizes = bounds.problems(file)
                if sizes:
                    return [*sizes, "other checks skipped: they would read the datasets above"]
                checker.run()
            except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
                checker.problems.append(f"reading stopped, the file is damaged: {exc}")
            return checker.problems
    except OSError as exc:
        raise ReportError(damaged_message(path, exc)) from None


class _Checker:
    def __init__(self, f: h5py.File) -> None:
        self.f = f
        self.problems: list[str] = []
        self.num_samples = 0
        self.modalities: list[str] = []
        self.version = 0

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def run(self) -> None:
        self.root()
        missing = [name for name in REQUIRED_GROUPS if name not in self.f]
        for name in missing:
            self.fail(f"/{name}: group missing")
        if "config" in self.f:
            self.config()
        if "environment" in self.f:
            self.environment()
        if "dataset" in self.f:
            self.dataset()
        for path in layout.TABLES:
            if path in self.f:
                self.metric_table(self.f[path], mi=path.startswith("mi"))
            elif path.split("/")[0] in self.f:
                self.fail(f"/{path}: table missing")
        if "resampling" in self.f:
            self.resampling(self.f["resampling"])
        if "valuation" in self.f:
            for group in self.f["valuation"].values():
                self.valuation(group)
        self.overview()

    # --- root, config, environment ----------------------------------------------------------------------

    def root(self) -> None:
        attrs = self.f.attrs
        if attr_text(attrs.get("format", "")) != FORMAT_NAME:
            self.fail(f"/@format: expected {FORMAT_NAME!r}, found {attrs.get('format')!r}")
        version = attrs.get("format_version")
        if not isinstance(version, np.integer) or int(version) not in READABLE_VERSIONS:
            self.fail(f"/@format_version: expected an integer in {READABLE_VERSIONS}, found {version!r}")
        else:
            self.version = int(version)
        if not attr_text(attrs.get("creator", "")).startswith("ModaLens"):
            self.fail(f"/@creator: expected 'ModaLens <version>', found {attrs.get('creator')!r}")
        self.iso_time("/@created", attrs.get("created"))
        state = attr_text(attrs.get("state", ""))
        if state not in STATES:
            self.fail(f"/@state: expected one of {', '.join(STATES)}, found {state!r}")
        if "modalities" not in attrs or not attr_list(attrs["modalities"]):
            self.fail("/@modalities: missing or empty")
        else:
            self.modalities = attr_list(attrs["modalities"])
        if attr_text(attrs.get("NX_class", "")) != "NXroot":
            self.fail("/@NX_class: expected 'NXroot'")
        if attr_text(attrs.get("default", "")) != "overview":
            self.fail("/@default: expected 'overview'")
        for name in ("total_epochs", "steps_per_epoch", "epochs_done", "best_epoch"):
            if not isinstance(attrs.get(name), np.integer):
                self.fail(f"/@{name}: expected an integer, found {attrs.get(name)!r}")

    def iso_time(self, where: str, value: object, allow_empty: bool = False) -> None:
        text = attr_text(value) if value is not None else ""
        if allow_empty and text == "":
            return
        try:
            datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{where}: expected an ISO 8601 time, found {text!r}")

    def config(self) -> None:
        group = self.f["config"]
        if "toml" not in group:
            self.fail("/config/toml: dataset missing")
            return
        text = group["toml"][()] if group["toml"].shape == () else None
        if not isinstance(text, bytes | str):
            self.fail("/config/toml: expected a scalar string")
            return
        try:
            tomllib.loads(attr_text(text))
        except tomllib.TOMLDecodeError as exc:
            self.fail(f"/config/toml: not valid TOML ({exc})")

    def environment(self) -> None:
        attrs = self.f["environment"].attrs
        for key in ENVIRONMENT_KEYS:
            if key not in attrs:
                self.fail(f"/environment/@{key}: missing")
        if "start_time" in attrs:
            self.iso_time("/environment/@start_time", attrs["start_time"])
        if "end_time" in attrs:
            self.iso_time("/environment/@end_time", attrs["end_time"], allow_empty=True)
            running = attr_text(self.f.attrs.get("state", "")) == RunState.RUNNING
            if not running and not attr_text(attrs["end_time"]):
                self.fail("/environment/@end_time: empty although the run has ended")

    # --- dataset --------------------------------------------------------------------------------------------

    def dataset(self) -> None:
        group = self.f["dataset"]
        for name in ("root", "num_samples"):
            if name not in group.attrs:
                self.fail(f"/dataset/@{name}: missing")
        self.num_samples = int(group.attrs.get("num_samples", group["ids"].shape[0] if "ids" in group else 0))
        for name in DATASET_ARRAYS:
            if name not in group:
                self.fail(f"/dataset/{name}: dataset missing")
        for name in ("ids", "rows", "labels", "splits"):
            if name in group:
                self.length(group[name], self.num_samples)
        for name in ("ids", "splits", "class_names"):
            if name in group:
                self.strings(group[name])
        if "labels" in group and "class_names" in group:
            labels = group["labels"]
            if labels.dtype.kind not in "iu":
                self.fail(f"/dataset/labels: expected integers, found {labels.dtype}")
            elif outside(labels, labels.shape[0], 0, group["class_names"].shape[0]):
                self.fail("/dataset/labels: values outside 0..len(class_names)-1")
        media = group.get("media")
        if media is None:
            self.fail("/dataset/media: group missing")
        else:
            found = {attr_text(ds.attrs.get("modality", "")) for ds in media.values()}
            for modality in self.modalities:
                if modality not in found:
                    self.fail(f"/dataset/media: no dataset for modality {modality!r}")
            for ds in media.values():
                self.length(ds, self.num_samples)
                self.strings(ds)
        for ds in group.get("metadata", {}).values():
            self.length(ds, self.num_samples)
            if "column" not in ds.attrs:
                self.fail(f"{ds.name}/@column: missing")
        excluded = group.get("excluded")
        if excluded is None:
            self.fail("/dataset/excluded: group missing")
        else:
            sizes = {name: excluded[name].shape[0] for name in EXCLUDED_COLUMNS if name in excluded}
            for name in EXCLUDED_COLUMNS:
                if name not in excluded:
                    self.fail(f"/dataset/excluded/{name}: dataset missing")
            if len(set(sizes.values())) > 1:
                self.fail(f"/dataset/excluded: columns of different lengths {sizes}")

    def length(self, ds: h5py.Dataset, expected: int) -> None:
        if ds.ndim < 1 or ds.shape[0] != expected:
            self.fail(f"{ds.name}: expected {expected} rows (one per sample), found shape {ds.shape}")

    def strings(self, ds: h5py.Dataset) -> None:
        if h5py.check_string_dtype(ds.dtype) is None:
            self.fail(f"{ds.name}: expected UTF-8 strings, found {ds.dtype}")
        elif h5py.check_string_dtype(ds.dtype).encoding != "utf-8":
            self.fail(f"{ds.name}: strings are not UTF-8")

    # --- tables -----------------------------------------------------------------------------------------

    def table(self, group: h5py.Group) -> int | None:
        """Common table checks; returns the committed row count (None when it cannot be known)."""
        index = attr_text(group.attrs.get(ROWS_FROM, ""))
        if not index or index not in group:
            self.fail(f"{group.name}/@{ROWS_FROM}: missing or names no dataset ({index!r})")
            return None
        rows = group[index].shape[0]
        per_sample = set(attr_list(group.attrs.get(PER_SAMPLE, [])))
        for name, ds in group.items():
            if name in per_sample:
                continue
            if not isinstance(ds, h5py.Dataset):
                self.fail(f"{ds.name}: unexpected group inside a table")
                continue
            if ds.shape[0] < rows:
                self.fail(f"{ds.name}: {ds.shape[0]} rows, fewer than the {rows} committed rows")
            if ds.maxshape[0] is not None:
                self.fail(f"{ds.name}: first axis cannot grow (maxshape {ds.maxshape})")
        return rows

    def integer(self, ds: h5py.Dataset) -> None:
        if ds.dtype.kind not in "iu":
            self.fail(f"{ds.name}: expected integers, found {ds.dtype}")

    def metric_table(self, group: h5py.Group, mi: bool) -> None:
        if self.table(group) is None:
            return
        index = layout.STEP_INDEX if group.name.endswith("step") else layout.EPOCH_INDEX
        for name in index:
            if name not in group:
                self.fail(f"{group.name}/{name}: dataset missing")
            elif name != "wall_time":
                self.integer(group[name])
        for name, ds in group.items():
            if name in index:
                continue
            if "key" not in ds.attrs:
                self.fail(f"{ds.name}: metric dataset without its 'key' attribute")
                continue
            key = attr_text(ds.attrs["key"])
            if ds.dtype.kind != "f":
                self.fail(f"{ds.name}: expected floats, found {ds.dtype}")
            if is_mi_key(key) != mi:
                where = "/mi" if is_mi_key(key) else "/training"
                self.fail(f"{ds.name}: metric {key!r} belongs under {where}")

    def resampling(self, group: h5py.Group) -> None:
        rows = self.table(group)
        if rows is None:
            return
        for name in RESAMPLING_COLUMNS:
            if name not in group:
                self.fail(f"/resampling/{name}: dataset missing")
                return
            self.integer(group[name])
        if "modalities" not in group.attrs:
            self.fail("/resampling/@modalities: missing")
            return
        if outside(group["modality"], rows, 0, len(attr_list(group.attrs["modalities"]))):
            self.fail("/resampling/modality: values outside 0..len(modalities)-1")
        if outside(group["sample_index"], rows, 0, self.num_samples):
            self.fail(f"/resampling/sample_index: values outside 0..{self.num_samples - 1}")
        if outside(group["copies"], rows, 0, None):
            self.fail("/resampling/copies: negative values")

    def valuation(self, group: h5py.Group) -> None:
        where = group.name
        for name in ("split", "value_fn", "method", "modalities", "coalition_labels", "coalition_order"):
            if name not in group.attrs:
                self.fail(f"{where}/@{name}: missing")
        modalities = attr_list(group.attrs["modalities"]) if "modalities" in group.attrs else self.modalities
        if len(modalities) > bounds.MAX_MODALITIES:
            self.fail(f"{where}/@modalities: {len(modalities)} modalities, more than {bounds.MAX_MODALITIES}")
            return
        if "coalition_labels" in group.attrs and attr_list(group.attrs["coalition_labels"]) != coalition_labels(modalities):
            self.fail(f"{where}/@coalition_labels: not the bitmask order of {modalities}")
        expected = {
            "epoch": (1, "iu"),
            "sample_index": (1, "iu"),
            "phi": (3, "f"),
            "coalition_values": (3, "f"),
            "prediction": (2, "iu"),
            "correct": (2, "ub"),
            "mean_phi": (2, "f"),
        }
        if self.version >= 2 and attr_text(group.attrs.get("method", "")) == "exact":
            expected |= {"coalition_correct": (3, "ub"), "coalition_log_p": (3, "f")}
        for name, (ndim, kinds) in expected.items():
            if name not in group:
                self.fail(f"{where}/{name}: dataset missing")
            elif group[name].ndim != ndim or group[name].dtype.kind not in kinds:
                self.fail(f"{where}/{name}: expected {ndim}-D of kind {kinds}, found {group[name].dtype} {group[name].shape}")
        if any(name not in group for name in expected) or self.table(group) is None:
            return
        rows = committed(group)
        if not increasing(group["epoch"], rows):
            self.fail(f"{where}/epoch: epochs not strictly increasing")
        m = len(modalities)
        samples = min(group["sample_index"].shape[0], group["phi"].shape[1])
        tails = {"phi": (m,), "coalition_values": (2**m,), "prediction": (), "correct": (), "phi_stderr": (m,),
                 "coalition_correct": (2**m,), "coalition_log_p": (2**m,)}
        for name, tail in tails.items():
            if name in group and (group[name].shape[2:] != tail or group[name].shape[1] != samples):
                self.fail(f"{where}/{name}: shape {group[name].shape}, expected [epoch, {samples}, {tail}]")
        if group["mean_phi"].shape[1:] != (m,):
            self.fail(f"{where}/mean_phi: shape {group['mean_phi'].shape}, expected [epoch, {m}]")
        index = group["sample_index"]
        if outside(index, samples, 0, self.num_samples):
            self.fail(f"{where}/sample_index: values outside 0..{self.num_samples - 1}")
        elif not increasing(index, samples) and repeated(index, samples, self.num_samples):
            self.fail(f"{where}/sample_index: repeated sample indices")

    # --- NeXus plot chain -------------------------------------------------------------------------------------

    def overview(self) -> None:
        entry = self.f.get("overview")
        if entry is None:
            self.fail("/overview: NXentry group missing (target of /@default)")
            return
        if attr_text(entry.attrs.get("NX_class", "")) != "NXentry":
            self.fail("/overview/@NX_class: expected 'NXentry'")
        splits = len(self.f.get("valuation", {}))
        default = attr_text(entry.attrs.get("default", ""))
        if splits and (not default or default not in entry):
            self.fail(f"/overview/@default: expected the name of an NXdata group, found {default!r}")
        for plot in entry.values():
            self.plot(plot)

    def plot(self, plot: h5py.Group) -> None:
        where = plot.name
        if attr_text(plot.attrs.get("NX_class", "")) != "NXdata":
            self.fail(f"{where}/@NX_class: expected 'NXdata'")
        rows = self.table(plot)
        signals = [attr_text(plot.attrs.get("signal", ""))]
        if "auxiliary_signals" in plot.attrs:
            signals += attr_list(plot.attrs["auxiliary_signals"])
        axes = attr_text(plot.attrs.get("axes", ""))
        for name in [*signals, axes]:
            if name not in plot:
                self.fail(f"{where}: signal or axis {name!r} names no dataset")
            elif plot[name].ndim != 1 or (rows is not None and plot[name].shape[0] < rows):
                self.fail(f"{where}/{name}: expected a 1-D dataset with one value per epoch")


# --- values, read in blocks -----------------------------------------------------------------------------------


def outside(ds: h5py.Dataset, stop: int, lo: int, hi: int | None) -> bool:
    """True when a value among the first ``stop`` entries lies outside [lo, hi) (hi None: no upper bound)."""
    for block in bounds.row_blocks(ds, stop):
        values = ds[block]
        if len(values) and (values.min() < lo or (hi is not None and values.max() >= hi)):
            return True
    return False


def increasing(ds: h5py.Dataset, stop: int) -> bool:
    """True when the first ``stop`` entries are strictly increasing."""
    last = None
    for block in bounds.row_blocks(ds, stop):
        values = ds[block]
        if len(values) and ((last is not None and values[0] <= last) or np.any(np.diff(values) <= 0)):
            return False
        last = values[-1] if len(values) else last
    return True


def repeated(ds: h5py.Dataset, stop: int, size: int) -> bool:
    """True when a value repeats among the first ``stop`` entries, all in 0..size-1 (one flag per value, or
    one sort of the entries when ``size``, an attribute, is far larger than their number)."""
    if size > 8 * stop + (1 << 20):
        return len(np.unique(ds[:stop])) != stop
    seen = np.zeros(size, dtype=bool)
    for block in bounds.row_blocks(ds, stop):
        values = ds[block]
        if len(np.unique(values)) != len(values) or seen[values].any():
            return True
        seen[values] = True
    return False
