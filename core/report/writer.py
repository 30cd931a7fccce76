"""The report writer: an event listener that keeps an HDF5 report of a run up to date while it runs.

The file is written in SWMR mode, so other processes can read it live and a killed run leaves a file
holding every complete epoch. SWMR forbids creating datasets, so when an event needs a new one (a
new metric key, split or the optional standard error) the writer *restructures*: it copies the file
to ``<name>.tmp``, adds what is missing, and atomically replaces the report (readers re-open it).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from core.atomic import WriteError, describe_os_error
from core.events import (
    EpochMetrics,
    Listener,
    ResamplingPlanned,
    RunFailed,
    RunFinished,
    RunStarted,
    StepMetrics,
    ValuationReady,
    handles,
)
from core.report import layout
from core.report.errors import ReportError
from core.report.files import (
    LiveFile,
    copy_file_contents,
    create_file,
    open_for_reading,
    open_swmr_writer,
    replace_file,
    tmp_path,
)
from core.report.format import (
    EPOCH_INDEX,
    STEP_INDEX,
    TEXT_DTYPE,
    attr_list,
    attr_text,
    encode_name,
    is_mi_key,
    now_iso,
)
from core.report.resume import DYNAMIC_GROUPS, not_resumable, trim_for_resume
from core.report.run_info import collect_environment, config_values
from core.report.valuation_rows import check_result, place_samples, spread
from core.run_files.state import RunState, ended_state
from core.valuation.result import ValuationResult

log = logging.getLogger(__name__)

MAX_BUFFERED_STEPS = 10_000
Change = Callable[[h5py.File], None]


class ReportWriter(Listener):
    """Writes the report of a run from engine events: ``bus.subscribe(ReportWriter(path))``.

    RunStarted creates the file (or, when resuming and the file exists, keeps what came before
    ``start_epoch``, and the steps of ``start_epoch`` before ``start_step``); each epoch's metrics, valuations and re-sampling plans are
    appended and flushed as they arrive; step metrics are buffered and written at epoch boundaries;
    RunFinished / RunFailed set the final state and close the file.
    """

    def __init__(self, path: str | Path, git_commit: str | None = None) -> None:
        self.path = Path(path)
        self.git_commit = git_commit
        self._live = LiveFile(self.path)
        self._broken = False
        self._steps: list[StepMetrics] = []
        self._sample_index: dict[str, np.ndarray] = {}

    def dispatch(self, handler: Callable[[Any], None], event: Any) -> None:
        """Handle one event. A failing write closes the file (every committed epoch stays readable) and
        re-raises (as does a malformed event, which writes nothing), so a run that subscribed the writer
        as critical stops; a later ``RunFailed`` is then still recorded in the file where the disk allows."""
        with self._live.lock:
            if self._broken and isinstance(event, RunFailed):
                self._record_failure(event)
                return
            if self._file is None and not isinstance(event, RunStarted):
                log.debug("report %s: %s ignored, no run started", self.path, type(event).__name__)
                return
            try:
                handler(event)
            except (OSError, RuntimeError) as exc:  # a write failed; a malformed event (ValueError) writes nothing
                self._broken = True
                self._abandon()
                if isinstance(event, RunFailed):  # the run's own error says why it failed
                    log.debug("report %s: the failure could not be recorded: %s", self.path, exc)
                    return
                if isinstance(exc, WriteError):
                    raise
                raise write_error(exc, self.path) from exc
            finally:
                if self._file is None:
                    self._live.unregister()

    def _abandon(self) -> None:
        """Close the file after a failed write without writing anything more."""
        self._steps = []
        if self._file is not None:
            try:
                self._file.close()
            except Exception as exc:  # noqa: BLE001 - the file is given up; its committed rows are on disk
                log.debug("report %s: closing after a failed write: %s", self.path, exc)
            self._file = None
        tmp_path(self.path).unlink(missing_ok=True)

    @property
    def _file(self) -> h5py.File | None:
        return self._live.file

    @_file.setter
    def _file(self, file: h5py.File | None) -> None:
        self._live.file = file

    @property
    def _open(self) -> h5py.File:
        """The file, which every handler but the run's start finds open."""
        file = self._live.file
        assert file is not None, f"report {self.path}: written while closed"
        return file

    @property
    def is_open(self) -> bool:
        return self._file is not None

    def close(self) -> None:
        """Write buffered steps and close the file, leaving its state as it is."""
        with self._live.lock:
            if self._file is not None:
                try:
                    self._flush_steps()
                finally:
                    self._file.close()
                    self._file = None
            self._live.unregister()

    def add_valuation(self, result: ValuationResult) -> None:
        """Add one valuation to the finished report at ``path`` (e.g. a split the run did not value), at the
        epoch it names; the report's state is left as it was. The caller holds the run folder's lock."""
        with self._live.lock:
            if self._file is not None:
                raise ValueError(f"{self.path}: the report is being written by this writer's run")
            problem = ""
            with open_for_reading(self.path) as src:
                problem = not_resumable(src)
            if problem:
                raise ReportError(f"{self.path}: {problem}; values can be added to reports of this version only")
            self._live.register()
            try:
                self._file = open_swmr_writer(self.path)
                self._sample_index = {}
                self._on_valuation(ValuationReady(result))
            finally:
                if self._file is not None:
                    self._file.close()
                    self._file = None
                self._live.unregister()

    # --- run start -----------------------------------------------------------------------------------------

    @handles(RunStarted)
    def _on_started(self, event: RunStarted) -> None:
        self.close()
        self._live.register()
        self._steps = []
        self._sample_index = {}
        resumed = False
        if (event.start_epoch > 0 or event.start_step > 0) and self.path.exists():
            try:
                self._build(lambda dst: self._resume_into(dst, event))
                resumed = True
            except (OSError, KeyError, ValueError, ReportError) as exc:
                self._set_aside(str(exc))
        if not resumed:
            self._build(lambda dst: self._write_new(dst, event))
        self._file = open_swmr_writer(self.path)

    def _build(self, fill: Change) -> None:
        """Write a whole new file to ``<name>.tmp`` and atomically put it in place."""
        tmp = tmp_path(self.path)
        try:
            with create_file(tmp) as dst:
                fill(dst)
            replace_file(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)

    def _write_new(self, f: h5py.File, event: RunStarted) -> None:
        self._write_static(f, event, created=now_iso(), start_time=now_iso())
        layout.create_dynamic(f, list(event.modalities))

    def _write_static(self, f: h5py.File, event: RunStarted, created: str, start_time: str) -> None:
        layout.write_root(
            f,
            created=created,
            modalities=list(event.modalities),
            total_epochs=event.total_epochs,
            steps_per_epoch=event.steps_per_epoch,
        )
        layout.write_config(f, event.config_toml, config_values(event.config_toml))
        layout.write_environment(f, collect_environment(event.device, self.git_commit), start_time)
        layout.write_dataset(f, event.dataset, list(event.class_names), list(event.modalities))

    def _resume_into(self, dst: h5py.File, event: RunStarted) -> None:
        """Fresh static groups from the event, the old file's growing groups up to ``start_epoch``."""
        with open_for_reading(self.path) as src:
            problem = not_resumable(src)
            if problem:
                raise ReportError(problem)
            start_time = attr_text(src["environment"].attrs.get("start_time", now_iso()))
            self._write_static(dst, event, created=attr_text(src.attrs["created"]), start_time=start_time)
            for name in DYNAMIC_GROUPS:
                src.copy(src[name], dst, name=name)
            for name, plot in src["overview"].items():
                src.copy(plot, dst["overview"], name=name)
            if "default" in src["overview"].attrs:
                dst["overview"].attrs["default"] = src["overview"].attrs["default"]
        trim_for_resume(dst, event.start_epoch, event.start_step)

    def _set_aside(self, problem: str) -> None:
        aside = self.path.with_name(self.path.name + ".damaged")
        log.warning("report %s %s: moved to %s, starting a new report", self.path, problem, aside)
        replace_file(self.path, aside)

    # --- steps and epoch metrics -------------------------------------------------------------------------

    @handles(StepMetrics)
    def _on_step(self, event: StepMetrics) -> None:
        if self._steps and self._steps[-1].epoch != event.epoch:
            self._flush_steps()
        self._steps.append(event)
        if len(self._steps) >= MAX_BUFFERED_STEPS:
            self._flush_steps()

    def _flush_steps(self) -> None:
        steps, self._steps = self._steps, []
        if not steps or self._file is None:
            return
        groups = {"training/step": steps, "mi/step": [s for s in steps if _has_mi(s.metrics)]}
        groups = {path: events for path, events in groups.items() if events}
        keys = self._ensure_metric_keys({path: [s.metrics for s in events] for path, events in groups.items()})
        staged = []
        for path, events in groups.items():
            columns = _metric_arrays(keys[path], [s.metrics for s in events])
            columns["step"] = np.asarray([s.step for s in events], dtype=np.int32)
            columns["epoch"] = np.asarray([s.epoch for s in events], dtype=np.int32)
            columns["wall_time"] = np.asarray([s.wall_time for s in events], dtype=np.float64)
            index = np.asarray([s.global_step for s in events], dtype=np.int64)
            staged.append((path, layout.committed_rows(self._open[path]), columns, index))
        self._append(staged)

    @handles(EpochMetrics)
    def _on_epoch_metrics(self, event: EpochMetrics) -> None:
        self._flush_steps()
        paths = ["training/epoch"] + (["mi/epoch"] if _has_mi(event.metrics) else [])
        found = {path: self._row_for_epoch(path, event.epoch) for path in paths}
        rows = {path: row for path, row in found.items() if row is not None}
        keys = self._ensure_metric_keys({path: [event.metrics] for path in rows})
        staged = []
        for path, row in rows.items():
            columns = _metric_arrays(keys[path], [event.metrics])
            columns["wall_time"] = np.asarray([event.wall_time], dtype=np.float64)
            staged.append((path, row, columns, np.asarray([event.epoch], dtype=np.int32)))
        self._append(staged)

    def _ensure_metric_keys(self, rows_by_table: dict[str, list[dict[str, float]]]) -> dict[str, dict[str, str]]:
        """For each metric table, its keys among the rows -> dataset name, creating datasets for new keys
        (all tables in one restructure)."""
        wanted: dict[str, list[str]] = {}
        for path, rows in rows_by_table.items():
            reserved = STEP_INDEX if path.endswith("step") else EPOCH_INDEX
            mi = path.startswith("mi/")
            keys: dict[str, None] = {}
            for metrics in rows:
                for key in metrics:
                    if is_mi_key(key) != mi:
                        continue
                    if key in reserved:
                        log.warning("report: metric key %r is reserved for the %s column, not stored", key, key)
                        continue
                    keys[key] = None
            wanted[path] = list(keys)
        known = {path: layout.metric_columns(self._open[path]) for path in wanted}
        missing = {path: [k for k in keys if k not in known[path]] for path, keys in wanted.items()}
        if any(missing.values()):

            def add(f: h5py.File) -> None:
                for path, keys in missing.items():
                    for key in keys:
                        layout.add_metric_column(f[path], key)

            self._restructure(add)
            known = {path: layout.metric_columns(self._open[path]) for path in wanted}
        return {path: {key: known[path][key] for key in keys} for path, keys in wanted.items()}

    # --- valuations and re-sampling ------------------------------------------------------------------------

    @handles(ValuationReady)
    def _on_valuation(self, event: ValuationReady) -> None:
        self._flush_steps()
        result = event.result
        check_result(result)
        path = f"valuation/{encode_name(result.split)}"
        changes: list[Change] = []
        if path not in self._open:
            changes.append(
                lambda f: layout.create_valuation(
                    f, result.split, list(result.modalities), result.value_fn, result.method, len(result.sample_index)
                )
            )
        if result.phi_stderr is not None and (path not in self._open or "phi_stderr" not in self._open[path]):
            changes.append(lambda f: layout.add_stderr(f[path], len(result.modalities)))
        if changes:

            def apply(f: h5py.File) -> None:
                for change in changes:
                    change(f)

            self._restructure(apply)
        group = self._open[path]
        stored = attr_list(group.attrs["modalities"])
        if stored != list(result.modalities):
            raise ValueError(
                f"report: valuation of split {result.split!r} has modalities {result.modalities}, "
                f"the report has {stored}"
            )
        row = self._row_for_epoch(path, result.epoch)
        if row is None:
            return
        positions, self._sample_index[result.split] = place_samples(
            group, result.split, np.asarray(result.sample_index, dtype=np.int64), self._sample_index.get(result.split)
        )
        columns = {
            "phi": spread(result.phi, positions, np.float32, np.nan),
            "coalition_values": spread(result.coalition_values, positions, np.float32, np.nan),
            "prediction": spread(result.prediction, positions, np.int32, -1),
            "correct": spread(result.correct, positions, np.uint8, 0),
            "mean_phi": np.asarray(result.mean_phi, dtype=np.float32)[None],
        }
        if result.coalition_log_p is not None:
            columns["coalition_correct"] = spread(result.coalition_correct, positions, np.uint8, 0)
            columns["coalition_log_p"] = spread(result.coalition_log_p, positions, np.float32, np.nan)
        if result.phi_stderr is not None:
            columns["phi_stderr"] = spread(result.phi_stderr, positions, np.float32, np.nan)
        plot_path = f"overview/{layout.plot_name(result.split)}"
        plot = self._open[plot_path]
        plot_columns = {
            name: columns["mean_phi"][:, j]
            for j, name in enumerate(f"phi_{encode_name(m)}" for m in result.modalities)
            if name in plot
        }
        epoch = np.asarray([result.epoch], dtype=np.int32)
        self._append([(path, row, columns, epoch), (plot_path, row, plot_columns, epoch)])

    @handles(ResamplingPlanned)
    def _on_resampling(self, event: ResamplingPlanned) -> None:
        self._flush_steps()
        table = self._open["resampling"]
        rows = layout.committed_rows(table)
        epochs = table["epoch"][:rows]
        later = np.flatnonzero(epochs >= event.epoch)
        start = int(later[0]) if len(later) else rows
        count = len(event.sample_index)
        columns: dict[str, np.ndarray] = {
            "sample_index": np.asarray(event.sample_index, dtype=np.int64),
            "modality": np.asarray(event.modality, dtype=np.int32),
            "copies": np.asarray(event.copies, dtype=np.int32),
            "user_requested": np.asarray(event.user_requested, dtype=np.uint8),
        }
        lengths = {name: len(values) for name, values in columns.items()}
        if set(lengths.values()) != {count}:
            raise ValueError(f"report: re-sampling plan of epoch {event.epoch} has columns of lengths {lengths}")
        self._append([("resampling", start, columns, np.full(count, event.epoch, dtype=np.int32))])

    # --- run end -------------------------------------------------------------------------------------------

    @handles(RunFinished)
    def _on_finished(self, event: RunFinished) -> None:
        self._set_final_state(ended_state(event.stopped))
        f = self._open
        f.attrs.modify("epochs_done", np.int64(event.epochs_done))
        f.attrs.modify("best_epoch", np.int64(-1 if event.best_epoch is None else event.best_epoch))
        accuracy = np.nan if event.best_val_accuracy is None else event.best_val_accuracy
        f.attrs.modify("best_val_accuracy", np.float64(accuracy))
        self.close()

    @handles(RunFailed)
    def _on_failed(self, event: RunFailed) -> None:
        self._set_final_state(RunState.FAILED)
        self.close()
        self._restructure(lambda f: _add_failure(f, event), reopen=False)

    def _record_failure(self, event: RunFailed) -> None:
        """After a failed write: mark the file failed with the reason, if the disk lets us."""
        self._broken = False

        def mark(f: h5py.File) -> None:
            f.attrs.modify("state", RunState.FAILED)
            f["environment"].attrs.modify("end_time", now_iso())
            _add_failure(f, event)

        try:
            self._restructure(mark, reopen=False)
        except Exception as exc:  # noqa: BLE001 - the reason reaches the user through the run's own error
            log.warning("report %s: the failure could not be recorded in the file (%s)", self.path, exc)

    def _set_final_state(self, state: RunState) -> None:
        self._flush_steps()
        self._open.attrs.modify("state", state)
        self._open["environment"].attrs.modify("end_time", now_iso())
        self._open.flush()

    # --- mechanics -----------------------------------------------------------------------------------------

    def _row_for_epoch(self, path: str, epoch: int) -> int | None:
        """The row an epoch's values go to: a new last row, or the last row again when re-sent."""
        table = self._open[path]
        rows = layout.committed_rows(table)
        if rows == 0:
            return 0
        last = int(table["epoch"][rows - 1])
        if epoch > last:
            return rows
        if epoch == last:
            return rows - 1
        log.warning("report %s: %s values of epoch %d ignored, epoch %d is already written", self.path, path, epoch, last)
        return None

    def _append(self, staged: Iterable[tuple[str, int, dict[str, np.ndarray], np.ndarray]]) -> None:
        """Write rows of several tables: un-commit re-sent rows, stage, flush, commit, flush."""
        staged = list(staged)
        if not staged:
            return
        f = self._open
        shrunk = False
        for path, start, _columns, _index in staged:
            if start < layout.committed_rows(f[path]):
                layout.commit_rows(f[path], start, np.zeros(0), total=start)
                shrunk = True
        if shrunk:
            f.flush()
        for path, start, columns, index in staged:
            layout.stage_rows(f[path], start, start + len(index), columns)
        f.flush()
        for path, start, _columns, index in staged:
            layout.commit_rows(f[path], start, index)
        f.flush()

    def _restructure(self, change: Change, reopen: bool = True) -> None:
        """Copy the report to ``<name>.tmp``, apply ``change``, atomically replace the report, reopen."""
        if self._file is not None:
            self._file.close()
            self._file = None
        tmp = tmp_path(self.path)
        try:
            with open_for_reading(self.path) as src, create_file(tmp) as dst:
                copy_file_contents(src, dst)
                change(dst)
            replace_file(tmp, self.path)
        finally:
            tmp.unlink(missing_ok=True)
            if reopen:
                self._file = open_swmr_writer(self.path)


def write_error(exc: OSError | RuntimeError, path: Path) -> WriteError:
    """One line naming ``path`` for an error HDF5 raised while writing it: h5py raises some failed writes
    as RuntimeError, with the system's errno only inside a multi-line message."""
    number = getattr(exc, "errno", None)
    if number is None:
        found = re.search(r"errno = (\d+)", str(exc))
        number = int(found.group(1)) if found else None
    if number is not None and number > 0:
        return WriteError(describe_os_error(OSError(number, os.strerror(number)), path), number)
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return WriteError(f"{path}: cannot write ({reason})")


def _add_failure(f: h5py.File, event: RunFailed) -> None:
    group = f.require_group("failure")
    for name, text in (("error", event.error), ("traceback", event.traceback)):
        if name in group:
            del group[name]
        group.create_dataset(name, data=text, dtype=TEXT_DTYPE)


def _metric_arrays(names: dict[str, str], rows: list[dict[str, float]]) -> dict[str, np.ndarray]:
    """Dataset name -> float64 column over the rows (NaN where a row lacks the key)."""
    return {name: np.asarray([m.get(key, np.nan) for m in rows], dtype=np.float64) for key, name in names.items()}


def _has_mi(metrics: dict[str, float]) -> bool:
    return any(is_mi_key(key) for key in metrics)
