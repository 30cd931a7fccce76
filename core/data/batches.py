"""Turn rows of prepared samples into batches of tensors on the training device.

Only the rows of one batch are read (from the on-disk store, or from arrays in memory), kept in their
stored dtype (uint8 frames stay uint8) until the input transform converts them. Batches are gathered in
the training process by default; with ``num_workers > 0`` they are gathered
by DataLoader worker processes (spawn context: safe beside Qt and CUDA threads) and copied to the
device from pinned memory without blocking. On the device, the data's input transform turns the cached
arrays into model inputs (see ``core.data.augment``): random only where a generator is passed (training).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset

from core.data.tensors import PreparedData


@dataclass(frozen=True)
class Batch:
    """One training batch: inputs per modality, labels [B], kept-modality mask [B, M], dataset indices [B]."""

    inputs: dict[str, torch.Tensor]
    labels: torch.Tensor
    keep: torch.Tensor
    index: torch.Tensor


def gather_rows(data: PreparedData, index: np.ndarray, keep: np.ndarray | None) -> Batch:
    """Rows ``index`` of every modality as CPU tensors (all modalities kept when ``keep`` is None)."""
    keep_array = np.ones((len(index), len(data.samples.modalities)), np.float32) if keep is None else keep
    return Batch(
        inputs={m: torch.from_numpy(np.ascontiguousarray(data.arrays[m][index])) for m in data.samples.modalities},
        labels=torch.from_numpy(data.samples.labels[index].astype(np.int64)),
        keep=torch.from_numpy(keep_array.astype(np.float32)),
        index=torch.from_numpy(np.asarray(index, dtype=np.int64)),
    )


def to_device(batch: Batch, device: torch.device, pin_memory: bool = False) -> Batch:
    """Copy a CPU batch to ``device``; pinned and non-blocking on CUDA."""
    if device.type == "cpu":
        return batch
    non_blocking = device.type == "cuda"

    def move(tensor: torch.Tensor) -> torch.Tensor:
        if pin_memory and non_blocking and not tensor.is_pinned():
            tensor = tensor.pin_memory()
        return tensor.to(device, non_blocking=non_blocking)

    return Batch(
        {m: move(x) for m, x in batch.inputs.items()}, move(batch.labels), move(batch.keep), batch.index
    )


class _PlannedBatches(Dataset):
    """Batch ``i`` of a plan, for DataLoader workers."""

    def __init__(
        self, data: PreparedData, index: np.ndarray, keep: np.ndarray | None, batch_size: int
    ) -> None:
        self.data, self.index, self.keep, self.batch_size = data, index, keep, batch_size

    def __len__(self) -> int:
        return -(-len(self.index) // self.batch_size)

    def __getitem__(self, i: int) -> Batch:
        rows = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return gather_rows(self.data, self.index[rows], None if self.keep is None else self.keep[rows])


def iterate_batches(
    data: PreparedData,
    index: np.ndarray,
    batch_size: int,
    device: torch.device,
    keep: np.ndarray | None = None,
    pin_memory: bool = False,
    num_workers: int = 0,
    augment_seed: tuple[int, ...] | None = None,
    first_batch: int = 0,
) -> Iterator[Batch]:
    """Consecutive batches over ``index`` (shuffle beforehand for training), ``keep`` aligned with it.

    With ``augment_seed`` each batch gets the train-time augmentation (when the data's transform has it
    on) drawn from its own generator, seeded by ``augment_seed`` and the batch's number counted from
    ``first_batch`` (so a run resumed mid-epoch draws what an uninterrupted one would); without it every
    batch gets the deterministic transform, as evaluation and valuation need.
    """
    planned = _PlannedBatches(data, index, keep, batch_size)
    batches: Iterable[Batch] = (planned[i] for i in range(len(planned)))
    if num_workers > 0 and len(planned) > 0:
        batches = DataLoader(
            planned,
            batch_size=None,
            num_workers=num_workers,
            multiprocessing_context="spawn",
            pin_memory=pin_memory and device.type == "cuda",
        )
    for number, batch in enumerate(batches, start=first_batch):
        batch = to_device(batch, device, pin_memory)
        if data.transform is not None:
            rng = None if augment_seed is None else np.random.default_rng([*augment_seed, number])
            batch = dataclasses.replace(batch, inputs=data.transform(batch.inputs, rng))
        yield batch
