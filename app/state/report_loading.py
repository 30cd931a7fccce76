"""Reading a report into what the session shows, away from the GUI thread.

:func:`read_snapshot` does every file read and array conversion a report needs (dataset columns,
metric series, valuations, re-sampling plans) and returns a :class:`app.state.snapshot.RunSnapshot` of
plain arrays, so a background task can call it and the GUI thread only has to hand the result to
:meth:`app.state.session_state.SessionState.apply_snapshot`. A live report is followed by refreshing it and reading a
snapshot of only the epochs the session does not show yet. Nothing here touches Qt.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.state.metrics import EPOCH_INDEX, STEP_INDEX, MetricSeries
from app.state.samples import SampleSet
from app.state.snapshot import ResamplingStep, RunSnapshot
from core.run_files import RunState
from core.valuation import ValuationResult


def read_snapshot(report, known: dict[str, set[int]] | None = None) -> RunSnapshot:
    """A snapshot of ``report`` (a :class:`core.report.reader.Report`); with ``known`` (epochs shown per
    split), only the other epochs' valuations and no dataset: an update of what is on show."""
    dataset = SampleSet.from_report(report.dataset, report.modalities) if known is None else None
    step, epoch, last_step, start_wall = report_metrics(report)
    valuations: dict[str, dict[int, ValuationResult]] = {}
    for split, valuation in report.valuation.items():
        shown = (known or {}).get(split, set())
        rows = [row for row, e in enumerate(valuation.epochs.tolist()) if int(e) not in shown]
        if rows:
            valuations[split] = {int(valuation.epochs[r]): result_from_report(valuation, r, report.modalities)
                                 for r in rows}
    return RunSnapshot(
        path=Path(report.path),
        state=RunState(report.state),
        device=report.environment.get("device", ""),
        config_toml=report.config_toml,
        total_epochs=report.total_epochs,
        dataset=dataset,
        step_metrics=step,
        epoch_metrics=epoch,
        epoch_last_step=last_step,
        start_wall=start_wall,
        resampling=resampling_steps(report),
        valuations=valuations,
    )


def resampling_steps(report) -> list[ResamplingStep]:
    """The plan of every epoch the report knows (epochs without copies have no table rows)."""
    table = report.resampling
    epochs = np.union1d(report.epochs(), table.epoch).astype(np.int64)
    steps = []
    for epoch in epochs.tolist():
        rows = table.epoch == epoch
        steps.append(ResamplingStep(epoch, table.sample_index[rows], table.copies[rows], table.user_requested[rows]))
    return steps


def report_metrics(
    report,
) -> tuple[dict[str, MetricSeries], dict[str, MetricSeries], dict[int, int], float | None]:
    """A report's metric tables as series: (per step, per epoch, last global step of each epoch, first wall time).

    Per-step series are against the global step, per-epoch ones against the number of epochs done.
    """
    step = {**report.step_metrics, **report.mi_step}
    epoch = {**report.epoch_metrics, **report.mi_epoch}
    step_series = {
        key: MetricSeries.of(step["global_step"], step["wall_time"], values)
        for key, values in step.items()
        if key not in STEP_INDEX
    }
    epoch_series = {
        key: MetricSeries.of(epoch["epoch"] + 1, epoch["wall_time"], values)
        for key, values in epoch.items()
        if key not in EPOCH_INDEX
    }
    last_step: dict[int, int] = {}
    start_wall = None
    steps = report.step_metrics
    if len(steps.get("global_step", ())):
        last_step = {
            int(e): int(steps["global_step"][steps["epoch"] == e].max()) for e in np.unique(steps["epoch"])
        }
        start_wall = float(np.nanmin(steps["wall_time"]))
    return step_series, epoch_series, last_step, start_wall


def result_from_report(valuation, row: int, modalities: list[str]) -> ValuationResult:
    """One epoch of a report's split valuation as a :class:`ValuationResult` (valued samples only, sorted)."""
    phi = valuation.phi[row]
    valued = ~np.isnan(phi).all(axis=-1)
    order = np.argsort(valuation.sample_index[valued], kind="stable")
    pick = np.flatnonzero(valued)[order]
    stderr = valuation.phi_stderr
    correct, log_p = valuation.coalition_correct, valuation.coalition_log_p
    return ValuationResult(
        epoch=int(valuation.epochs[row]),
        split=valuation.split,
        value_fn=valuation.value_fn,
        modalities=list(valuation.modalities or modalities),
        sample_index=valuation.sample_index[pick].astype(np.int64),
        phi=phi[pick].astype(np.float32),
        coalition_values=valuation.coalition_values[row][pick].astype(np.float32),
        prediction=valuation.prediction[row][pick].astype(np.int64),
        correct=valuation.correct[row][pick].astype(bool),
        method=valuation.method,
        phi_stderr=None if stderr is None else stderr[row][pick].astype(np.float32),
        coalition_correct=None if correct is None else correct[row][pick],
        coalition_log_p=None if log_p is None else log_p[row][pick].astype(np.float32),
    )
