"""Turn rows of prepared arrays into batches of tensors on the training device."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from core.data.prepared import PreparedData
from core.strategies.base import Batch


def make_batch(
    data: PreparedData,
    index: np.ndarray,
    keep: np.ndarray | None,
    device: torch.device,
    pin_memory: bool = False,
) -> Batch:
    """Gather rows ``index`` of every modality into a :class:`Batch` on ``device``."""
    non_blocking = device.type == "cuda"
    pin = pin_memory and non_blocking

    def move(array: np.ndarray) -> torch.Tensor:
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if pin:
            tensor = tensor.pin_memory()
        return tensor.to(device, non_blocking=non_blocking)

    inputs = {m: move(data.arrays[m][index]) for m in data.modalities}
    keep_array = np.ones((len(index), len(data.modalities)), np.float32) if keep is None else keep
    return Batch(
        inputs=inputs,
        labels=move(data.labels[index].astype(np.int64)),
        keep=move(keep_array.astype(np.float32)),
        index=torch.from_numpy(np.asarray(index, dtype=np.int64)),
    )


def iterate_batches(
    data: PreparedData,
    index: np.ndarray,
    batch_size: int,
    device: torch.device,
    keep: np.ndarray | None = None,
    pin_memory: bool = False,
) -> Iterator[Batch]:
    """Consecutive batches over ``index`` (shuffle beforehand for training), ``keep`` aligned with it."""
    for start in range(0, len(index), batch_size):
        rows = slice(start, start + batch_size)
        yield make_batch(data, index[rows], None if keep is None else keep[rows], device, pin_memory)
