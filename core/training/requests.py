"""Targeted re-sampling requests from outside the engine (the window, a script), applied at epoch boundaries."""

from __future__ import annotations

import builtins
import threading
from dataclasses import dataclass, field, replace

import numpy as np


@dataclass(frozen=True)
class ResamplingRequest:
    """Add ``copies`` copies of each sample keeping only ``modality``, from ``start_epoch`` for ``epochs``
    epochs (None: until cancelled)."""

    id: int
    sample_index: np.ndarray
    modality: str
    copies: int
    start_epoch: int
    epochs: int | None
    cancelled: bool = False

    def active(self, epoch: int) -> bool:
        if self.cancelled or epoch < self.start_epoch:
            return False
        return self.epochs is None or epoch < self.start_epoch + self.epochs

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "sample_index": self.sample_index.tolist(),
            "modality": self.modality,
            "copies": self.copies,
            "start_epoch": self.start_epoch,
            "epochs": self.epochs,
            "cancelled": self.cancelled,
        }


@dataclass
class ResamplingRequests:
    """A thread-safe list of requests; the engine reads the active ones before each epoch."""

    modalities: list[str]
    next_epoch: int = 0
    _items: dict[int, ResamplingRequest] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self, sample_index: np.ndarray | list[int], modality: str, copies: int = 1, epochs: int | None = 1
    ) -> ResamplingRequest:
        """Queue a request that starts at the next epoch boundary."""
        index = checked_request(sample_index, modality, copies, epochs, self.modalities)
        with self._lock:
            request = ResamplingRequest(
                id=max(self._items, default=0) + 1,
                sample_index=index,
                modality=modality,
                copies=int(copies),
                start_epoch=self.next_epoch,
                epochs=epochs,
            )
            self._items[request.id] = request
        return request

    def cancel(self, request_id: int) -> None:
        with self._lock:
            if request_id not in self._items:
                raise KeyError(f"no re-sampling request with id {request_id}")
            self._items[request_id] = replace(self._items[request_id], cancelled=True)

    def list(self) -> builtins.list[ResamplingRequest]:
        with self._lock:
            return list(self._items.values())

    def active(self, epoch: int) -> builtins.list[ResamplingRequest]:
        with self._lock:
            return [r for r in self._items.values() if r.active(epoch)]

    def restore(self, items: builtins.list[dict]) -> None:
        """Reload requests saved in a checkpoint."""
        with self._lock:
            for item in items:
                request = ResamplingRequest(
                    **{**item, "sample_index": np.asarray(item["sample_index"], np.int64)}
                )
                self._items[request.id] = request


def checked_request(
    sample_index: np.ndarray | list[int], modality: str, copies: int, epochs: int | None, modalities: list[str]
) -> np.ndarray:
    """Validate a re-sampling request's arguments (``modalities`` empty: any name); returns the sorted,
    de-duplicated sample indices. Raises ``ValueError`` naming the bad argument."""
    if modalities and modality not in modalities:
        raise ValueError(f"unknown modality {modality!r}; this run has {', '.join(modalities)}")
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    if epochs is not None and epochs < 1:
        raise ValueError(f"epochs must be at least 1 (or None for until cancelled), got {epochs}")
    index = np.unique(np.asarray(sample_index, dtype=np.int64))
    if index.size == 0:
        raise ValueError("a re-sampling request needs at least one sample")
    return index
