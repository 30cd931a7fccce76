"""The window's state: the dataset on show, valuations per epoch, metric series, selection.

One :class:`Session` lives in the GUI thread. It is fed by engine events (through the bridge) or
by a report file, and every view reads from it and listens to its signals; no view talks to the
engine. Arrays handed out are never mutated afterwards (new epochs append new arrays).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from core import events as ev
from core.valuation.result import ValuationResult


@dataclass
class DatasetView:
    """What the window shows of a dataset: one numpy column per field, one row per sample."""

    root: Path
    ids: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    splits: np.ndarray
    modalities: list[str]
    modality_kinds: dict[str, str]
    media: dict[str, np.ndarray]
    metadata: dict[str, np.ndarray]
    excluded: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ids)

    def media_path(self, index: int, modality: str) -> Path:
        return self.root / str(self.media[modality][index])

    @classmethod
    def from_prepared(cls, data) -> DatasetView:
        """From :class:`core.data.prepared.PreparedData` (as carried by ``RunStarted``)."""
        return cls(
            root=Path(data.root),
            ids=data.ids,
            labels=data.labels,
            class_names=list(data.class_names),
            splits=data.splits,
            modalities=list(data.modalities),
            modality_kinds=dict(data.modality_kinds),
            media=dict(data.media),
            metadata=dict(data.metadata),
            excluded=[str(e) for e in data.excluded],
        )


@dataclass
class MetricSeries:
    """Growing x/y arrays of one metric (preallocated, doubled when full)."""

    steps: np.ndarray = field(default_factory=lambda: np.empty(256))
    wall: np.ndarray = field(default_factory=lambda: np.empty(256))
    values: np.ndarray = field(default_factory=lambda: np.empty(256))
    count: int = 0

    def append(self, step: float, wall: float, value: float) -> None:
        if self.count == len(self.values):
            self.steps, self.wall, self.values = (np.resize(a, 2 * len(a)) for a in (self.steps, self.wall, self.values))
        self.steps[self.count], self.wall[self.count], self.values[self.count] = step, wall, value
        self.count += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.count
        return self.steps[:n], self.wall[:n], self.values[:n]


class Session(QObject):
    """State shared by all views; mutated only in the GUI thread."""

    dataset_changed = Signal()
    valuation_added = Signal(str, int)  # split, epoch
    metrics_changed = Signal()
    resampling_changed = Signal()
    selection_changed = Signal()
    current_changed = Signal(int)  # dataset index, -1 for none
    run_state_changed = Signal(str)
    progress_changed = Signal(object)  # core.events.Progress
    log_message = Signal(str, str)  # level, text

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: DatasetView | None = None
        self.run_dir: Path | None = None
        self.device = ""
        self.run_state = "idle"
        self.value_fn = ""
        self.valuations: dict[str, dict[int, ValuationResult]] = {}
        self.step_metrics: dict[str, MetricSeries] = {}
        self.epoch_metrics: dict[str, MetricSeries] = {}
        self.copies = np.zeros(0, np.int64)
        self.user_copies = np.zeros(0, np.int64)
        self.copies_by_epoch: dict[int, int] = {}
        self.selection = np.zeros(0, np.int64)
        self.current = -1

    # -- loading -----------------------------------------------------------------------------
    def set_dataset(self, dataset: DatasetView) -> None:
        self.dataset = dataset
        self.valuations = {}
        self.step_metrics, self.epoch_metrics = {}, {}
        self.copies = np.zeros(len(dataset), np.int64)
        self.user_copies = np.zeros(len(dataset), np.int64)
        self.copies_by_epoch = {}
        self.selection = np.zeros(0, np.int64)
        self.current = -1
        self.dataset_changed.emit()

    # -- engine events -----------------------------------------------------------------------
    def apply(self, event: object) -> None:
        """Update the state from one engine event (called in the GUI thread)."""
        if isinstance(event, ev.RunStarted):
            self.run_dir = Path(event.run_dir)
            self.device = event.device
            if event.start_epoch == 0 or self.dataset is None or len(self.dataset) != len(event.dataset):
                self.set_dataset(DatasetView.from_prepared(event.dataset))
            self._set_state("running")
        elif isinstance(event, ev.StepMetrics):
            for key, value in event.metrics.items():
                self.step_metrics.setdefault(key, MetricSeries()).append(event.global_step, event.wall_time, value)
            self.metrics_changed.emit()
        elif isinstance(event, ev.EpochMetrics):
            for key, value in event.metrics.items():
                self.epoch_metrics.setdefault(key, MetricSeries()).append(event.epoch + 1, event.wall_time, value)
            self.metrics_changed.emit()
        elif isinstance(event, ev.ValuationReady):
            self.add_valuation(event.result)
        elif isinstance(event, ev.ResamplingPlanned):
            self.add_resampling(event.epoch, event.sample_index, event.copies, event.user_requested)
        elif isinstance(event, ev.Progress):
            self.progress_changed.emit(event)
        elif isinstance(event, ev.RunPaused):
            self._set_state("paused" if event.paused else "running")
        elif isinstance(event, ev.LogMessage):
            self.log_message.emit(event.level, event.text)
        elif isinstance(event, ev.RunFinished):
            self._set_state("stopped" if event.stopped else "finished")
        elif isinstance(event, ev.RunFailed):
            self.log_message.emit("error", event.error)
            self._set_state("failed")

    def add_valuation(self, result: ValuationResult) -> None:
        self.value_fn = result.value_fn
        self.valuations.setdefault(result.split, {})[result.epoch] = result
        self.valuation_added.emit(result.split, result.epoch)

    def add_resampling(self, epoch: int, samples: np.ndarray, copies: np.ndarray, user: np.ndarray) -> None:
        self.copies = np.zeros(len(self.dataset), np.int64) if self.dataset else np.zeros(0, np.int64)
        self.user_copies = self.copies.copy()
        np.add.at(self.copies, samples, copies)
        np.add.at(self.user_copies, samples[user], copies[user])
        self.copies_by_epoch[epoch] = int(copies.sum())
        self.resampling_changed.emit()

    def _set_state(self, state: str) -> None:
        self.run_state = state
        self.run_state_changed.emit(state)

    # -- queries -----------------------------------------------------------------------------
    def epochs(self, split: str = "train") -> list[int]:
        return sorted(self.valuations.get(split, {}))

    def latest(self, split: str = "train") -> ValuationResult | None:
        epochs = self.epochs(split)
        return self.valuations[split][epochs[-1]] if epochs else None

    def phi_columns(self, split: str = "train", epoch: int | None = None) -> np.ndarray:
        """φ per dataset row [N, M] for one epoch (NaN where a row was not valued)."""
        n = len(self.dataset) if self.dataset else 0
        m = len(self.dataset.modalities) if self.dataset else 0
        out = np.full((n, m), np.nan, np.float32)
        result = self.valuations.get(split, {}).get(epoch) if epoch is not None else self.latest(split)
        if result is not None:
            out[result.sample_index] = result.phi
        return out

    def sample_history(self, index: int, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """(epochs [E], φ [E, M]) of one dataset row over the epochs it was valued in."""
        epochs, phis = [], []
        for epoch in self.epochs(split):
            result = self.valuations[split][epoch]
            where = np.searchsorted(result.sample_index, index)
            if where < len(result.sample_index) and result.sample_index[where] == index:
                epochs.append(epoch)
                phis.append(result.phi[where])
        m = len(self.dataset.modalities) if self.dataset else 0
        return np.asarray(epochs, np.int64), np.asarray(phis, np.float32).reshape(-1, m)

    def mean_phi_history(self, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """(epochs [E], mean φ per modality [E, M])."""
        epochs = self.epochs(split)
        m = len(self.dataset.modalities) if self.dataset else 0
        means = [self.valuations[split][e].mean_phi for e in epochs]
        return np.asarray(epochs, np.int64), np.asarray(means, np.float32).reshape(-1, m)

    # -- selection ---------------------------------------------------------------------------
    def select(self, indices: np.ndarray | list[int]) -> None:
        selection = np.unique(np.asarray(indices, dtype=np.int64))
        if np.array_equal(selection, self.selection):
            return
        self.selection = selection
        self.selection_changed.emit()
        self.set_current(int(selection[0]) if len(selection) else -1)

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.current_changed.emit(index)
