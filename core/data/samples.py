"""The sample table: the per-sample columns of a dataset (one row per usable sample, in manifest order), and
the record of a sample left out.

One :class:`Samples` is made by the manifest reader (``core.data.manifest``), carried unchanged by the
prepared tensors (``core.data.tensors``), written to and read back from a report's ``/dataset``
(``core.report.report_dataset``), and shown by the window (``app.state.samples``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Samples:
    """One row per sample, one column per field.

    ``ids`` and ``splits`` (``train``, ``val`` or ``test``) hold strings; ``rows`` the manifest's CSV line
    numbers (header = line 1); ``labels`` indices into ``class_names``; ``modality_kinds[m]`` the kind of
    modality ``m`` (video, audio, vector, ...); ``media[m]`` paths relative to the dataset folder (``/``
    separators); ``metadata[c]`` the values of metadata column ``c``. Every column has one entry per id.
    """

    ids: np.ndarray
    rows: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    splits: np.ndarray
    modalities: list[str]
    modality_kinds: dict[str, str]
    media: dict[str, np.ndarray]
    metadata: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        n = len(self.ids)
        columns = [("rows", self.rows), ("labels", self.labels), ("splits", self.splits)]
        columns += [(f"media {m!r}", c) for m, c in self.media.items()]
        columns += [(f"metadata {c!r}", values) for c, values in self.metadata.items()]
        for name, column in columns:
            if len(column) != n:
                raise ValueError(f"sample column {name} has {len(column)} rows, expected {n} (one per id)")

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def split_mask(self, split: str) -> np.ndarray:
        """True for the samples of ``split``."""
        return self.splits == split

    def split_indices(self, split: str) -> np.ndarray:
        """Indices of the samples of ``split``, in order."""
        return np.flatnonzero(self.splits == split)

    def take(self, index: np.ndarray) -> Samples:
        """The samples at ``index`` (an index array), in that order; the class list is kept whole."""
        return Samples(
            ids=self.ids[index],
            rows=self.rows[index],
            labels=self.labels[index],
            class_names=list(self.class_names),
            splits=self.splits[index],
            modalities=list(self.modalities),
            modality_kinds=dict(self.modality_kinds),
            media={m: paths[index] for m, paths in self.media.items()},
            metadata={c: values[index] for c, values in self.metadata.items()},
        )

    def label_name(self, label: int) -> str:
        """The class name of ``label``; the number itself when it names no class."""
        return self.class_names[label] if 0 <= label < len(self.class_names) else str(label)


@dataclass(frozen=True)
class Exclusion:
    """A sample left out of a run: which row and id, which column and file, and why."""

    row: int
    sample_id: str
    column: str
    file: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", id {self.sample_id!r}" if self.sample_id else "")
        what = f"column {self.column!r}" + (f" ({self.file})" if self.file else "")
        return f"{where}, {what}: {self.reason}"
