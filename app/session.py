"""The window's state: the dataset on show, valuations per epoch, metric series, selection.

One :class:`Session` lives in the GUI thread. It is fed by engine events (through the bridge) or
by snapshots of a report file (read in a background task), and every view reads from it and listens
to its signals; no view talks to the engine. Cross-view state (the selection, the current sample, the
rows the browser's filter keeps) lives here too. Arrays handed out are never mutated afterwards (new epochs append new arrays).
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from core import events as ev
from core.data.prepared import Exclusion
from core.report.summary import BestEpoch, best_epoch
from core.valuation.result import ValuationResult

SUMMARY_KINDS = 8  # kinds of problem the dataset summary lists one by one
SUMMARY_EXAMPLES = 3  # rows named per kind
WINDOW_VALUE_FN = "probability"
"""The value function the window shows valuations under until the user picks another (where the report
stores coalition statistics; else the one written). Runs keep valuing with the config's (``benefit``), the
payoff the re-sampling strategies are defined on; docs/methods.md, "The value function the window shows"."""
STEP_INDEX = ("global_step", "step", "epoch", "wall_time")
EPOCH_INDEX = ("epoch", "wall_time")


@dataclass
class DatasetView:
    """What the window shows of a dataset: one numpy column per field, one row per sample. Ids, splits
    and metadata are ``str`` columns, converted once when the view is made (for a report, in the task
    that reads it), not by each view that shows them."""

    root: Path
    ids: np.ndarray
    labels: np.ndarray
    class_names: list[str]
    splits: np.ndarray
    modalities: list[str]
    modality_kinds: dict[str, str]
    media: dict[str, np.ndarray]
    metadata: dict[str, np.ndarray]
    excluded: list[Exclusion] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.ids, self.splits = _text(self.ids), _text(self.splits)
        self.metadata = {name: _text(column) for name, column in self.metadata.items()}

    def __len__(self) -> int:
        return len(self.ids)

    def media_path(self, index: int, modality: str) -> Path:
        return self.root / str(self.media[modality][index])

    def media_found(self) -> bool:
        """True when the first sample's media files are where this view expects them."""
        if len(self) == 0 or not self.modalities:
            return True
        return all(self.media_path(0, m).is_file() for m in self.modalities)

    def summary_line(self) -> str:
        """"48 samples (train 32, val 8, test 8); 3 rows left out" in one line."""
        splits, counts = np.unique(self.splits, return_counts=True)
        per_split = ", ".join(f"{name} {count}" for name, count in zip(splits.tolist(), counts.tolist(), strict=True))
        left_out = len({e.row for e in self.excluded})
        line = f"{len(self)} usable sample{'' if len(self) == 1 else 's'}" + (f" ({per_split})" if per_split else "")
        return line + (f"; {left_out} row{'' if left_out == 1 else 's'} left out" if left_out else "; none left out")

    def summary_text(self) -> str:
        """The summary line, then the problems that left rows out, by kind: how many rows, the column, one
        reason as written and the first rows it names."""
        lines = [f"{self.root}: {self.summary_line()}"]
        kinds: dict[tuple[str, str], list[Exclusion]] = {}
        for item in self.excluded:
            kinds.setdefault((item.column, _kind(item.reason)), []).append(item)
        ranked = sorted(kinds.items(), key=lambda kind: len(kind[1]), reverse=True)
        for (_, kind), items in ranked[:SUMMARY_KINDS]:
            rows = sorted({e.row for e in items})
            named = ", ".join(str(row) for row in rows[:SUMMARY_EXAMPLES]) + (", …" if len(rows) > SUMMARY_EXAMPLES else "")
            count = f"{len(rows)} row{'' if len(rows) == 1 else 's'}"
            where = "row" if len(rows) == 1 else "rows"
            reason = items[0].reason if all(e.reason == items[0].reason for e in items) else kind
            lines.append(f"  {count}, column {items[0].column!r}: {reason} ({where} {named})")
        rest = sum(len(items) for _, items in ranked[SUMMARY_KINDS:])
        if rest:
            lines.append(f"  {rest} more problem(s) of {len(ranked) - SUMMARY_KINDS} other kind(s): see the Log pane")
        return "\n".join(lines)

    def with_root(self, root: str | Path) -> DatasetView:
        return dataclasses.replace(self, root=Path(root))

    @classmethod
    def from_samples(cls, samples) -> DatasetView:
        """From a :class:`core.data.manifest.Manifest` (no media decoded) or a
        :class:`core.data.prepared.PreparedData` (as carried by ``RunStarted``): both list the samples
        with the same fields."""
        return cls(
            root=Path(samples.root),
            ids=samples.ids,
            labels=samples.labels,
            class_names=list(samples.class_names),
            splits=samples.splits,
            modalities=list(samples.modalities),
            modality_kinds=dict(samples.modality_kinds),
            media=dict(samples.media),
            metadata=dict(samples.metadata),
            excluded=list(samples.excluded),
        )

    @classmethod
    def from_report(cls, dataset, modalities: list[str]) -> DatasetView:
        """From a report's :class:`core.report.reader.ReportDataset` (no media access)."""
        media = dataset.media
        return cls(
            root=Path(dataset.root) if dataset.root else Path("."),
            ids=dataset.ids,
            labels=np.asarray(dataset.labels, np.int64),
            class_names=list(dataset.class_names),
            splits=dataset.splits,
            modalities=list(modalities),
            modality_kinds=dict(dataset.modality_kinds),
            media={m: media[m].astype(object) for m in modalities if m in media},
            metadata=dict(dataset.metadata),
            excluded=list(dataset.excluded),
        )


def _kind(reason: str) -> str:
    """A problem's kind: its reason with quoted names and numbers left out ("file … not found")."""
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+(\.\d+)?", "…", reason)


def _text(column: np.ndarray) -> np.ndarray:
    """``column`` as a numpy ``str`` array (itself when it already is one)."""
    return np.asarray(column, dtype=str)


@dataclass
class MetricSeries:
    """Growing x/y arrays of one metric (preallocated, doubled when full)."""

    steps: np.ndarray = field(default_factory=lambda: np.empty(256))
    wall: np.ndarray = field(default_factory=lambda: np.empty(256))
    values: np.ndarray = field(default_factory=lambda: np.empty(256))
    count: int = 0

    def append(self, step: float, wall: float, value: float) -> None:
        if self.count == len(self.values):
            self.steps, self.wall, self.values = (
                np.resize(a, 2 * len(a)) for a in (self.steps, self.wall, self.values)
            )
        self.steps[self.count], self.wall[self.count], self.values[self.count] = step, wall, value
        self.count += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.count
        return self.steps[:n], self.wall[:n], self.values[:n]

    @classmethod
    def of(cls, steps: np.ndarray, wall: np.ndarray, values: np.ndarray) -> MetricSeries:
        """A series holding the given points (rows whose value is NaN are left out)."""
        keep = np.isfinite(np.asarray(values, np.float64))
        n = int(keep.sum())
        size = max(256, 1 << max(n - 1, 0).bit_length())
        series = cls(np.empty(size), np.empty(size), np.empty(size), n)
        series.steps[:n] = np.asarray(steps, np.float64)[keep]
        series.wall[:n] = np.asarray(wall, np.float64)[keep]
        series.values[:n] = np.asarray(values, np.float64)[keep]
        return series


class Session(QObject):
    """State shared by all views; mutated only in the GUI thread."""

    dataset_changed = Signal()
    valuation_added = Signal(str, int)  # split, epoch
    metrics_changed = Signal()
    resampling_changed = Signal()
    selection_changed = Signal()
    filter_changed = Signal()  # the rows the browser's filter keeps
    current_changed = Signal(int)  # dataset index, -1 for none
    run_state_changed = Signal(str)
    progress_changed = Signal(object)  # core.events.Progress
    log_message = Signal(str, str)  # level, text
    media_root_changed = Signal()
    checkpoint_saved = Signal(str)  # path
    value_fn_changed = Signal(str)  # the value function the valuations are shown under

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: DatasetView | None = None
        self.run_dir: Path | None = None
        self.device = ""
        self.run_state = "idle"
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
    def set_dataset(self, dataset: DatasetView) -> None:
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
        self.dataset_changed.emit()

    def show_dataset(self, dataset: DatasetView) -> None:
        """Show a dataset on its own, with no run or report (e.g. just opened, before training)."""
        self.run_dir = None
        self.report_path = None
        self.device = ""
        self.config_toml = ""
        self.total_epochs = 0
        self.steps_per_epoch = 0
        self.last_checkpoint = None
        self.set_dataset(dataset)
        self._set_state("idle")

    def set_media_root(self, root: str | Path) -> None:
        """Look for the dataset's media files under ``root`` (a moved or copied dataset folder)."""
        if self.dataset is not None:
            self.dataset = self.dataset.with_root(root)
            self.media_root_changed.emit()

    def load_report(self, report) -> None:
        """Show everything a :class:`core.report.reader.Report` holds (replacing what was shown).

        This reads the file in the calling thread; the window reads a snapshot in a background task
        (:func:`app.report_loading.read_snapshot`) and hands it to :meth:`apply_snapshot`."""
        from app.report_loading import read_snapshot

        self.apply_snapshot(read_snapshot(report))

    def sync_report(self, report) -> None:
        """Bring the session up to date with ``report`` (after ``Report.refresh()`` of a live file)."""
        from app.report_loading import read_snapshot

        self.apply_snapshot(read_snapshot(report, self.known_epochs()))

    def known_epochs(self) -> dict[str, set[int]]:
        """The epochs shown per split (a refresh of the report reads only the others)."""
        return {split: set(epochs) for split, epochs in self.valuations.items()}

    def apply_snapshot(self, snapshot) -> None:
        """Show a :class:`app.report_loading.RunSnapshot`: a whole report when it carries the dataset
        (replacing what was shown), else the report's new epochs, its metric series and plans."""
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
        self.metrics_changed.emit()
        self.copies_by_epoch = {}
        self.user_copies_by_epoch = {}
        for step in snapshot.resampling:
            self.add_resampling(step.epoch, step.sample_index, step.copies, step.user_requested)
        if not snapshot.resampling:
            self.resampling_changed.emit()
        for split, results in snapshot.valuations.items():
            for result in results.values():
                self._store(result)
            self.valuation_added.emit(split, max(results))
        self._set_state(snapshot.state)

    def _guess_steps_per_epoch(self) -> int:
        spans = sorted(self.epoch_last_step.items())
        diffs = [b - a for (_, a), (_, b) in zip(spans, spans[1:], strict=False)]
        return max(diffs) if diffs else (spans[0][1] + 1 if spans else 0)

    def _shows(self, samples) -> bool:
        """Whether the dataset on show is ``samples`` (same sample ids and modalities): a resumed run then
        keeps the epochs already shown from its report."""
        shown = self.dataset
        return (
            shown is not None
            and list(shown.modalities) == list(samples.modalities)
            and np.array_equal(np.asarray(shown.ids).astype(str), np.asarray(samples.ids).astype(str))
        )

    # -- engine events -----------------------------------------------------------------------
    def apply(self, event: object) -> None:
        """Update the state from one engine event (called in the GUI thread)."""
        if isinstance(event, ev.RunStarted):
            self.run_dir = Path(event.run_dir)
            self.device = event.device
            self.last_error = ""
            if event.start_epoch == 0 or not self._shows(event.dataset):
                self.set_dataset(DatasetView.from_samples(event.dataset))
            self.config_toml = event.config_toml
            self.total_epochs = event.total_epochs
            self.steps_per_epoch = event.steps_per_epoch
            self._set_state("running")
        elif isinstance(event, ev.StepMetrics):
            for key, value in event.metrics.items():
                if math.isfinite(value):
                    self.step_metrics.setdefault(key, MetricSeries()).append(
                        event.global_step, event.wall_time, value
                    )
            self.epoch_last_step[event.epoch] = event.global_step
            if self.start_wall is None:
                self.start_wall = event.wall_time
            self.metrics_changed.emit()
        elif isinstance(event, ev.EpochMetrics):
            for key, value in event.metrics.items():
                self.epoch_metrics.setdefault(key, MetricSeries()).append(
                    event.epoch + 1, event.wall_time, value
                )
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
        elif isinstance(event, ev.CheckpointSaved):
            self.last_checkpoint = Path(event.path)
            self.checkpoint_saved.emit(event.path)
        elif isinstance(event, ev.RunFinished):
            self._set_state("stopped" if event.stopped else "finished")
        elif isinstance(event, ev.RunFailed):
            self.last_error = event.error
            self.log_message.emit("error", event.error)
            self.log_message.emit("debug", event.traceback)
            self._set_state("failed")

    def best_epoch(self) -> BestEpoch | None:
        """The run's best epoch by val accuracy and the test accuracy there and at the last epoch."""
        series = {}
        for key in ("val/acc", "train/acc", "test/acc"):
            if key in self.epoch_metrics:
                epochs, _, values = self.epoch_metrics[key].arrays()
                series[key] = (epochs, values)
        return best_epoch(series)

    def add_valuation(self, result: ValuationResult) -> None:
        self._store(result)
        self.valuation_added.emit(result.split, result.epoch)

    def _store(self, result: ValuationResult) -> None:
        self.value_fn = result.value_fn
        self.written.setdefault(result.split, {})[result.epoch] = result
        self.valuations.setdefault(result.split, {})[result.epoch] = self._as_shown(result)

    # -- value function ----------------------------------------------------------------------
    @property
    def shown_value_fn(self) -> str:
        """The value function the valuations on show are under."""
        return self.chosen_value_fn if self.chosen_value_fn in self.value_functions() else self.value_fn

    def value_functions(self) -> list[str]:
        """The value functions the valuations can be shown under: every registered one when all of them
        carry coalition statistics (see :func:`core.valuation.revalue.revalue`), else only the one written."""
        results = [r for by_epoch in self.written.values() for r in by_epoch.values()]
        if results and all(r.coalition_log_p is not None for r in results):
            from core.valuation.value_functions import VALUE_FUNCTIONS  # imports torch: only once valued

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
        self.value_fn_changed.emit(name)

    def _as_shown(self, result: ValuationResult) -> ValuationResult:
        name = self.shown_value_fn if self.chosen_value_fn else ""
        if not name or name == result.value_fn or result.coalition_log_p is None:
            return result
        from core.valuation.revalue import revalue

        phi, values = revalue(result.coalition_correct, result.coalition_log_p, name)
        return dataclasses.replace(result, value_fn=name, phi=phi, coalition_values=values)

    def add_resampling(self, epoch: int, samples: np.ndarray, copies: np.ndarray, user: np.ndarray) -> None:
        self.copies = np.zeros(len(self.dataset), np.int64) if self.dataset else np.zeros(0, np.int64)
        self.user_copies = self.copies.copy()
        np.add.at(self.copies, samples, copies)
        np.add.at(self.user_copies, samples[user], copies[user])
        self.copies_by_epoch[epoch] = int(copies.sum())
        self.user_copies_by_epoch[epoch] = int(copies[user].sum())
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

    def set_filtered(self, rows: np.ndarray) -> None:
        """The dataset rows the browser's filter keeps, in table order (set by the browser)."""
        rows = np.asarray(rows, np.int64)
        if not np.array_equal(rows, self.filtered):
            self.filtered = rows.copy()
            self.filter_changed.emit()

    def set_current(self, index: int) -> None:
        if index != self.current:
            self.current = index
            self.current_changed.emit(index)
