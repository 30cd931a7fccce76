"""The samples of a report's run (``/dataset``), each array read on first access."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import h5py
import numpy as np

from core.data.samples import Exclusion, Samples
from core.report import bounds
from core.report.access import report_file
from core.report.errors import ReportError
from core.report.format import attr_text, decode_strings

PER_SAMPLE_ARRAYS = ("ids", "rows", "labels", "splits")


class ReportDataset:
    """The run's samples as stored in the report, each array read on first access: ids, labels, splits,
    media paths relative to ``root``, metadata columns and excluded samples; :meth:`samples` reads them all
    as one sample table."""

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

    def samples(self, modalities: list[str]) -> Samples:
        """The sample table of the run's ``modalities`` (the report's ``modalities`` attribute, in its order);
        media paths of the modalities the report lists, kinds of every stored media column."""
        media = self.media
        return Samples(
            ids=self.ids,
            rows=self.rows,
            labels=np.asarray(self.labels, np.int64),
            class_names=list(self.class_names),
            splits=self.splits,
            modalities=list(modalities),
            modality_kinds=dict(self.modality_kinds),
            media={m: media[m].astype(object) for m in modalities if m in media},
            metadata=dict(self.metadata),
        )

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
