"""The window's state: the samples on show, valuations per epoch, metric series, the run's state, the
selection; changed by engine events (each by its ``@handles`` method) and by report snapshots.

One :class:`SessionState` backs the window (as :class:`app.session.Session`, which turns its changes
into Qt signals); every view reads from it, and no view talks to the engine. Cross-view state (the
selection, the current sample, the rows the browser's filter keeps) lives here too. Arrays handed out
are never mutated afterwards (new epochs append new arrays). Each change is announced once through the
``notify`` callback as a :class:`Change` and its arguments.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from app.state.metrics import MetricSeries
from app.state.report_loading import read_snapshot
from app.state.samples import SampleSet
from app.state.snapshot import RunSnapshot
from core import events as ev
from core.events import Listener, handles
from core.report import BestEpoch, best_epoch
from core.run_files import RunState, ended_state
from core.valuation import ValuationResult

WINDOW_VALUE_FN = "probability"
"""The value function the window shows valuations under until the user picks another (where the report
stores coalition statistics; else the one written). Runs keep valuing with the config's (``benefit``), the
payoff the re-sampling strategies are defined on; docs/methods.md, "The value function the window shows"."""
VALUED_STATES = (RunState.FINISHED, RunState.STOPPED)  # states of a run whose other splits can be valued now
SPLITS = ("train", "val", "test")


class Change(StrEnum):
    """What changed, named as the Qt signal that announces it (arguments after it)."""

    DATASET = "dataset_changed"
    VALUATION_ADDED = "valuation_added"  # split, epoch
    METRICS = "metrics_changed"
    RESAMPLING = "resampling_changed"
    SELECTION = "selection_changed"
    FILTER = "filter_changed"  # the rows the browser's filter keeps
    CURRENT = "current_changed"  # dataset index, -1 for none
    RUN_STATE = "run_state_changed"  # RunState
    PROGRESS = "progress_changed"  # core.events.Progress
    LOG = "log_message"  # level, text
    MEDIA_ROOT = "media_root_changed"
    CHECKPOINT = "checkpoint_saved"  # path
    VALUE_FN = "value_fn_changed"  # the value function the valuations are shown under


Notify = Callable[..., None]
"""Called as ``notify(change, *arguments)`` after each change."""


def _ignore(change: Change, *args: Any) -> None:
    """The default ``notify``: nobody listens."""


class SessionState(Listener):
    """State shared by all views (see the module docstring); mutated only in one thread (the GUI's).

    Engine events are applied by calling it (or :meth:`apply`): each goes to its ``@handles`` method."""

    def __init__(self, notify: Notify = _ignore) -> None:
        self._notify = notify
        self.dataset: SampleSet | None = None
        self.run_dir: Path | None = None
        self.device = ""
        self.run_state = RunState.IDLE
        self.value_fn = ""
        self.chosen_value_fn = WINDOW_VALUE_FN  # the value function to show when available ("": the one written)
        self.valuations: dict[str, dict[int, ValuationResult]] = {}  # as shown (under shown_value_fn)
        self.written: dict[str, dict[int, ValuationResult]] = {}  # as the run computed them
        self.step_metrics: dict[str, MetricSeries] = {}
        self.epoch_metrics: dict[str, MetricSeries] = {}
        self.copies = np.zeros(0, np.int64)
        self.user_copies = np.zeros(0, np.int64)
        self.copies_by_epoch: dict[int, int] = {}
        self.selection = np.zeros(0, np.int64)
        self.filtered = np.zeros(0, np.int64)
        self.current = -1
        self.report_path: Path | None = None
        self.config_toml = ""
        self.total_epochs = 0
        self.steps_per_epoch = 0
        self.epoch_last_step: dict[int, int] = {}
        self.start_wall: float | None = None
        self.user_copies_by_epoch: dict[int, int] = {}
        self.last_checkpoint: Path | None = None
        self.last_error = ""

    # -- loading -----------------------------------------------------------------------------
    def set_dataset(self, dataset: SampleSet) -> None:
        self.dataset = dataset
        self.valuations = {}
        self.written = {}
        self.step_metrics, self.epoch_metrics = {}, {}
        self.copies = np.zeros(len(dataset), np.int64)
        self.user_copies = np.zeros(len(dataset), np.int64)
        self.copies_by_epoch = {}
        self.user_copies_by_epoch = {}
        self.epoch_last_step = {}
        self.start_wall = None
        self.selection = np.zeros(0, np.int64)
        self.filtered = np.arange(len(dataset), dtype=np.int64)
        self.current = -1
        self._notify(Change.DATASET)

    def show_dataset(self, dataset: SampleSet) -> None:
        """Show a dataset on its own, with no run or report (e.g. just opened, before training)."""
        self.run_dir = None
        self.report_path = None
        self.device = ""
        self.config_toml = ""
        self.total_epochs = 0
        self.steps_per_epoch = 0
        self.last_checkpoint = None
        self.set_dataset(dataset)
        self._set_state(RunState.IDLE)

    def set_media_root(self, root: str | Path) -> None:
        """Look for the dataset's media files under ``root`` (a moved or copied dataset folder)."""
        if self.dataset is not None:
            self.dataset = self.dataset.with_root(root)
            self._notify(Change.MEDIA_ROOT)

    def load_report(self, report) -> None:
        """Show everything a :class:`core.report.reader.Report` holds (replacing what was shown).

        This reads the file in the calling thread; the window reads a snapshot in a background task
        (:func:`app.state.report_loading.read_snapshot`) and hands it to :meth:`apply_snapshot`."""
        self.apply_snapshot(read_snapshot(report))

    def sync_report(self, report) -> None:
        """Bring the state up to date with ``report`` (after ``Report.refresh()`` of a live file)."""
        self.apply_snapshot(read_snapshot(report, self.known_epochs()))

    def known_epochs(self) -> dict[str, set[int]]:
        """The epochs shown per split (a refresh of the report reads only the others)."""
        return {split: set(epochs) for split, epochs in self.valuations.items()}

    def apply_snapshot(self, snapshot: RunSnapshot) -> None:
        """Show a :class:`RunSnapshot`: a whole report when it carries the dataset (replacing what was
        shown), else the report's new epochs, its metric series and plans."""
        if snapshot.dataset is not None:
            self.set_dataset(snapshot.dataset)
            self.report_path = snapshot.path
            self.run_dir = snapshot.path.parent
            self.last_checkpoint = None
        self.device = snapshot.device
        self.config_toml = snapshot.config_toml
        self.total_epochs = snapshot.total_epochs
        self.step_metrics, self.epoch_metrics = snapshot.step_metrics, snapshot.epoch_metrics
        self.epoch_last_step, self.start_wall = snapshot.epoch_last_step, snapshot.start_wall
        self.steps_per_epoch = self._guess_steps_per_epoch()
        self._notify(Change.METRICS)
        self.copies_by_epoch = {}
        self.user_copies_by_epoch = {}
        for step in snapshot.resampling:
            self.add_resampling(step.epoch, step.sample_index, step.copies, step.user_requested)
        if not snapshot.resampling:
            self._notify(Change.RESAMPLING)
        for split, results in snapshot.valuations.items():
            for result in results.values():
                self._store(result)
            self._notify(Change.VALUATION_ADDED, split, max(results))
        self._set_state(snapshot.state)

    def _guess_steps_per_epoch(self) -> int:
        spans = sorted(self.epoch_last_step.items())
        diffs = [b - a for (_, a), (_, b) in zip(spans, spans[1:], strict=False)]
        return max(diffs) if diffs else (spans[0][1] + 1 if spans else 0)

    # -- engine events ----------------------------------------------------------------------
    def apply(self, event: object) -> None:
        """Update the state from one engine event; events of a type no method handles are ignored."""
        self(event)

    @handles(ev.RunStarted)
    def _run_started(self, event: ev.RunStarted) -> None:
        self.run_dir = Path(event.run_dir)
        self.device = event.device
        self.last_error = ""
        # a resumed run on the samples on show keeps the epochs already shown from its report
        if event.start_epoch == 0 or self.dataset is None or not self.dataset.same_samples(event.dataset):
            self.set_dataset(SampleSet.from_samples(event.dataset))
        self.config_toml = event.config_toml
        self.total_epochs = event.total_epochs
        self.steps_per_epoch = event.steps_per_epoch
        self._set_state(RunState.RUNNING)

    @handles(ev.StepMetrics)
    def _step_metrics(self, event: ev.StepMetrics) -> None:
        for key, value in event.metrics.items():
            if math.isfinite(value):
                self.step_metrics.setdefault(key, MetricSeries()).append(event.global_step, event.wall_time, value)
        self.epoch_last_step[event.epoch] = event.global_step
        if self.start_wall is None:
            self.start_wall = event.wall_time
        self._notify(Change.METRICS)

    @handles(ev.EpochMetrics)
    def _epoch_metrics(self, event: ev.EpochMetrics) -> None:
        for key, value in event.metrics.items():
            self.epoch_metrics.setdefault(key, MetricSeries()).append(event.epoch + 1, event.wall_time, value)
        self._notify(Change.METRICS)

    @handles(ev.ValuationReady)
    def _valuation_ready(self, event: ev.ValuationReady) -> None:
        self.add_valuation(event.result)

    @handles(ev.ResamplingPlanned)
    def _resampling_planned(self, event: ev.ResamplingPlanned) -> None:
        self.add_resampling(event.epoch, event.sample_index, event.copies, event.user_requested)

    @handles(ev.Progress)
    def _progress(self, event: ev.Progress) -> None:
        self._notify(Change.PROGRESS, event)

    @handles(ev.RunPaused)
    def _run_paused(self, event: ev.RunPaused) -> None:
        self._set_state(RunState.PAUSED if event.paused else RunState.RUNNING)

    @handles(ev.LogMessage)
    def _log(self, event: ev.LogMessage) -> None:
        self._notify(Change.LOG, event.level, event.text)

    @handles(ev.CheckpointSaved)
    def _checkpoint_saved(self, event: ev.CheckpointSaved) -> None:
        self.last_checkpoint = Path(event.path)
        self._notify(Change.CHECKPOINT, event.path)

    @handles(ev.RunFinished)
    def _run_finished(self, event: ev.RunFinished) -> None:
        self._set_state(ended_state(event.stopped))

    @handles(ev.RunFailed)
    def _run_failed(self, event: ev.RunFailed) -> None:
        self.last_error = event.error
        self._notify(Change.LOG, "error", event.error)
        self._notify(Change.LOG, "debug", event.traceback)
        self._set_state(RunState.FAILED)

    def _set_state(self, state: RunState) -> None:
        self.run_state = state
        self._notify(Change.RUN_STATE, state)

    # -- valuations and plans ----------------------------------------------------------------
    def best_epoch(self) -> BestEpoch | None:
        """The run's best epoch by val accuracy and the test accuracy there and at the last epoch."""
        series: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for key in ("val/acc", "train/acc", "test/acc"):
            if key in self.epoch_metrics:
                epochs, _, values = self.epoch_metrics[key].arrays()
                series[key] = (epochs, values)
        return best_epoch(series)

    def add_valuation(self, result: ValuationResult) -> None:
        self._store(result)
        self._notify(Change.VALUATION_ADDED, result.split, result.epoch)

    def _store(self, result: ValuationResult) -> None:
        self.value_fn = result.value_fn
        self.written.setdefault(result.split, {})[result.epoch] = result
        self.valuations.setdefault(result.split, {})[result.epoch] = self._as_shown(result)

    def unvalued_splits(self) -> list[str]:
        """The splits of the shown finished (or stopped) run that it did not value and that have samples."""
        if self.dataset is None or self.run_dir is None or self.run_state not in VALUED_STATES:
            return []
        present = set(self.dataset.splits.tolist())
        return [s for s in SPLITS if s in present and s not in self.valuations]

    def add_resampling(self, epoch: int, samples: np.ndarray, copies: np.ndarray, user: np.ndarray) -> None:
        self.copies = np.zeros(len(self.dataset), np.int64) if self.dataset else np.zeros(0, np.int64)
        self.user_copies = self.copies.copy()
        np.add.at(self.copies, samples, copies)
        np.add.at(self.user_copies, samples[user], copies[user])
        self.copies_by_epoch[epoch] = int(copies.sum())
        self.user_copies_by_epoch[epoch] = int(copies[user].sum())
        self._notify(Change.RESAMPLING)

    # -- value function ----------------------------------------------------------------------
    @property
    def shown_value_fn(self) -> str:
        """The value function the valuations on show are under."""
        return self.chosen_value_fn if self.chosen_value_fn in self.value_functions() else self.value_fn

    def value_functions(self) -> list[str]:
        """The value functions the valuations can be shown under: every registered one when all of them
        carry coalition statistics (see :func:`core.valuation.recompute.revalue`), else only the one written."""
        results = [r for by_epoch in self.written.values() for r in by_epoch.values()]
        if results and all(r.coalition_log_p is not None for r in results):
            from core.valuation import VALUE_FUNCTIONS  # imports torch: only once valued

            return VALUE_FUNCTIONS.names()
        return [self.value_fn] if self.value_fn else []

    def set_value_fn(self, name: str) -> None:
        """Show every valuation under value function ``name`` (recomputed from the coalition statistics)."""
        available = self.value_functions()
        if name not in available:
            raise ValueError(f"value function {name!r} cannot be shown here; available: {', '.join(available)}")
        if name == self.shown_value_fn:
            self.chosen_value_fn = name
            return
        self.chosen_value_fn = name
        self.valuations = {
            split: {epoch: self._as_shown(r) for epoch, r in by_epoch.items()} for split, by_epoch in self.written.items()
        }
        self._notify(Change.VALUE_FN, name)

    def _as_shown(self, result: ValuationResult) -> ValuationResult:
        name = self.shown_value_fn if self.chosen_value_fn else ""
        correct, log_p = result.coalition_correct, result.coalition_log_p
        if not name or name == result.value_fn or correct is None or log_p is None:
            return result
        from core.valuation import revalue

        phi, values = revalue(correct, log_p, name)
        return dataclasses.replace(result, value_fn=name, phi=phi, coalition_values=values)

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
        self._notify(Change.SELECTION)
        self.set_current(int(selection[0]) if len(selection) else -1)

    def set_filtered(self, rows: np.ndarray) -> None:
        """The dataset rows the browser's filter keeps, in table order (set by the browser)."""
        rows = np.asarray(rows, np.int64)
        if not np.array_equal(rows, self.filtered):
            self.filtered = rows.copy()
            self._notify(Change.FILTER)

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self._notify(Change.CURRENT, index)
