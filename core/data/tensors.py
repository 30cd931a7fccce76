"""A dataset's preprocessed tensors: the sample table plus one array-like of decoded rows per modality, in
memory or in the on-disk store (made by ``core.data.prepare``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from core.data.samples import Exclusion, Samples

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
class PreparedData:
    """Every usable sample of a dataset, in manifest order, with its preprocessed tensors.

    ``samples`` is the sample table (``samples.media`` paths relative to ``root``); ``arrays[m]`` has one
    row per sample: video ``uint8 [N, T, 3, H, W]``, audio spectrogram ``float32 [N, F, S]``, vector
    ``float32 [N, D]``; ``prepare_dataset`` gives rows read from the on-disk store (a batch, or a
    :meth:`sample`, at a time), tests may pass numpy arrays.
    ``transform`` turns batches of these arrays into model inputs (None: used as they are).
    """

    root: Path
    samples: Samples
    arrays: dict[str, SampleRows]
    excluded: list[Exclusion] = field(default_factory=list)
    transform: InputTransform | None = None

    def __len__(self) -> int:
        return len(self.samples)

    def sample(self, index: int) -> dict[str, np.ndarray]:
        """The preprocessed arrays of sample ``index``, per modality (read from the store when stored)."""
        return {m: np.asarray(self.arrays[m][int(index)]) for m in self.samples.modalities}

    def input_shape(self, modality: str) -> tuple[int, ...]:
        """One sample's model input shape for ``modality`` (after ``transform``)."""
        shape = tuple(self.arrays[modality].shape[1:])
        return shape if self.transform is None else self.transform.output_shape(modality, shape)
