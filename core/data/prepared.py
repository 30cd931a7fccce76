"""Decoded, preprocessed samples: one array-like of rows per modality, in memory or in the on-disk store."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    from core.data.augment import InputTransform


class SampleRows(Protocol):
    """Rows of one modality: a numpy array ``[N, ...]`` (in memory) or ``core.data.store.StoredRows``
    (read from disk). ``rows[i]`` is one sample, ``rows[index]`` the stacked rows of an index array."""

    shape: tuple[int, ...]
    dtype: np.dtype

    def __len__(self) -> int: ...

    def __getitem__(self, index: Any) -> np.ndarray: ...


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


@dataclass(frozen=True)
class PreparedData:
    """Every usable sample of a dataset, in manifest order, with its preprocessed tensors.

    ``arrays[m]`` has one row per sample: video ``uint8 [N, T, 3, H, W]``, audio spectrogram
    ``float32 [N, F, S]``, vector ``float32 [N, D]``; ``prepare_dataset`` gives rows read from the
    on-disk store (a batch, or a :meth:`sample`, at a time), tests may pass numpy arrays. ``media[m]``
    holds paths relative to ``root``.
    ``transform`` turns batches of these arrays into model inputs (None: used as they are).
    """

    root: Path
    ids: np.ndarray
    rows: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    splits: np.ndarray
    modalities: list[str]
    modality_kinds: dict[str, str]
    media: dict[str, np.ndarray]
    metadata: dict[str, np.ndarray]
    arrays: dict[str, SampleRows]
    excluded: list[Exclusion] = field(default_factory=list)
    transform: InputTransform | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def split_indices(self, split: str) -> np.ndarray:
        return np.flatnonzero(self.splits == split)

    def sample(self, index: int) -> dict[str, np.ndarray]:
        """The preprocessed arrays of sample ``index``, per modality (read from the store when stored)."""
        return {m: np.asarray(self.arrays[m][int(index)]) for m in self.modalities}

    def input_shape(self, modality: str) -> tuple[int, ...]:
        """One sample's model input shape for ``modality`` (after ``transform``)."""
        shape = tuple(self.arrays[modality].shape[1:])
        return shape if self.transform is None else self.transform.output_shape(modality, shape)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)
