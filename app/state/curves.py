"""The numbers behind the curves view, free of Qt: runs' series, charts, x axes, EMA smoothing, CSV."""

from __future__ import annotations

import csv
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.state.metrics import MetricSeries
from app.state.report_loading import report_metrics

if TYPE_CHECKING:
    from app.state.session_state import SessionState

CHARTS = ("Loss", "Accuracy", "MI terms", "Re-sampling", "Other")
X_AXES = ("step", "epoch", "wall time")
SPLIT_PREFIXES = ("train/", "val/", "test/")
RESAMPLING_KEYS = ("train/resampled_copies", "resampling/user_copies")
DEFAULT_SERIES = {
    "Loss": ("step:loss", "epoch:train/loss", "epoch:val/loss"),
    "Accuracy": ("step:acc", "epoch:train/acc", "epoch:val/acc"),
    "MI terms": ("epoch:val/mi/I/joint", "epoch:val/mi/co_information", "epoch:val/mi/shared_bound"),
    "Re-sampling": tuple(f"epoch:{k}" for k in RESAMPLING_KEYS),
    "Other": ("epoch:lr",),
}
_MAX_BLOCK = 8192


def chart_of(key: str) -> str:
    """Which chart a metric key belongs to (``val/acc/audio`` → Accuracy, ``mi/U/video`` → MI terms)."""
    if key in RESAMPLING_KEYS:
        return "Re-sampling"
    base = strip_split(key)
    if base.startswith("mi/"):
        return "MI terms"
    if base == "acc" or base.startswith("acc/"):
        return "Accuracy"
    if base == "loss" or base.startswith("loss/") or base.endswith("/loss"):
        return "Loss"
    return "Other"


FRACTIONS = ("acc", "f1", "dominant", "phi_ties", "mi/perm_importance")
NAMED_UNITS = {
    "samples_per_s": "samples/s",
    "lr": "learning rate",
    "phi_gap": "φ",
    "phi_diff": "φ",
    "model/params": "parameters",
    "model/flops_per_sample": "FLOPs/sample",
    "grad_norm": "gradient norm",
    "skipped_steps": "steps",
}


def series_unit(key: str) -> str:
    """What a metric's values measure, for its y axis: "nats" (losses and information terms), "fraction"
    (accuracy, F1, shares), "samples/s", "s", "copies", …; the key itself when nothing more is known."""
    if key in RESAMPLING_KEYS:
        return "copies"
    base = strip_split(key)
    if any(base == name or base.startswith(name + "/") for name in FRACTIONS):
        return "fraction"
    if base.startswith("mi/") or base == "loss" or base.startswith("loss/") or base.endswith("/loss"):
        return "nats"
    if base.endswith("time_s"):
        return "s"
    return NAMED_UNITS.get(base, base)


def axis_title(chart: str, unit: str) -> str:
    """A y axis's title for values in ``unit`` on ``chart``: "loss (nats)", "accuracy (fraction)", …"""
    if unit == "nats":
        return "loss (nats)" if chart == "Loss" else "information (nats)"
    if unit == "fraction":
        return "accuracy (fraction)" if chart == "Accuracy" else "fraction"
    return "time (s)" if unit == "s" else unit


def axis_units(series_ids: list[str]) -> tuple[str, list[str]]:
    """The unit of the left y axis (the one most series share; the first series' unit on a tie) and the
    other units, drawn against the right axis, so a throughput never flattens an accuracy."""
    units = [series_unit(s.partition(":")[2]) for s in sorted(series_ids)]
    if not units:
        return "", []
    primary = max(dict.fromkeys(units), key=units.count)
    return primary, sorted(set(units) - {primary})


def strip_split(key: str) -> str:
    for prefix in SPLIT_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def series_label(series_id: str) -> str:
    """How a series is named on screen: epoch series by their key, step series marked "(step)"."""
    level, _, key = series_id.partition(":")
    return f"{key} (step)" if level == "step" else key


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Exponential moving average with start-up bias correction (the TensorBoard smoothing).

    ``s_t = w·s_{t-1} + (1-w)·x_t`` from ``s_{-1} = 0``, divided by ``1 - w^(t+1)``; ``weight`` in [0, 1).
    Computed in blocks with a closed form: 100 000 points take about a millisecond.
    """
    x = np.asarray(values, np.float64)
    if not 0.0 <= weight < 1.0:
        raise ValueError(f"smoothing weight must be in [0, 1), got {weight}")
    if weight == 0.0 or len(x) == 0:
        return x.copy()
    # w^-k stays finite within a block; past `settled` points w^t is below double precision, so the
    # bias correction is 1 there (computing those powers would also hit slow denormal numbers)
    block = max(1, min(_MAX_BLOCK, int(250 / -math.log10(weight))))
    settled = min(len(x), math.ceil(-17 / math.log10(weight)))
    powers = weight ** np.arange(block + 1)
    inverse = weight ** -np.arange(block, dtype=np.float64)
    out = np.empty_like(x)
    state = 0.0
    for start in range(0, len(x), block):
        chunk = x[start : start + block]
        n = len(chunk)
        sums = np.cumsum(chunk * inverse[:n]) * powers[:n] * (1.0 - weight)
        out[start : start + n] = state * powers[1 : n + 1] + sums
        state = out[start + n - 1]
    out[:settled] /= 1.0 - weight ** np.arange(1, settled + 1, dtype=np.float64)
    return out


@dataclass
class CurveRun:
    """One run's metric series: per-step keys against global step, per-epoch keys against epochs done."""

    name: str
    step: dict[str, MetricSeries]
    epoch: dict[str, MetricSeries]
    epoch_last_step: dict[int, int] = field(default_factory=dict)
    steps_per_epoch: int = 0
    start_wall: float | None = None

    @classmethod
    def from_session(cls, session: SessionState, name: str = "current run") -> CurveRun:
        epoch = dict(session.epoch_metrics)
        if session.user_copies_by_epoch:
            epochs = sorted(session.user_copies_by_epoch)
            counts = [session.user_copies_by_epoch[e] for e in epochs]
            epoch["resampling/user_copies"] = MetricSeries.of(np.asarray(epochs) + 1, np.full(len(epochs), np.nan), counts)
        return cls(name, dict(session.step_metrics), epoch, dict(session.epoch_last_step),
                   session.steps_per_epoch, session.start_wall)

    @classmethod
    def from_report(cls, report, name: str) -> CurveRun:
        step, epoch, last_step, start_wall = report_metrics(report)
        table = report.resampling
        if len(table.epoch):
            epochs = np.unique(table.epoch)
            user = [int(table.copies[(table.epoch == e) & table.user_requested].sum()) for e in epochs]
            epoch["resampling/user_copies"] = MetricSeries.of(epochs + 1, np.full(len(epochs), np.nan), user)
        spans = sorted(last_step.values())
        steps_per_epoch = spans[0] if spans else 0
        return cls(name, step, epoch, last_step, steps_per_epoch, start_wall)

    def series_ids(self) -> list[str]:
        return [f"step:{k}" for k in self.step] + [f"epoch:{k}" for k in self.epoch]

    def points(self, series_id: str, axis: str) -> tuple[np.ndarray, np.ndarray]:
        """(x, y) of one series on the chosen x axis ("step", "epoch" or "wall time")."""
        level, _, key = series_id.partition(":")
        table = self.step if level == "step" else self.epoch
        if key not in table:
            return np.zeros(0), np.zeros(0)
        position, wall, values = table[key].arrays()
        if axis == "wall time":
            start = self.start_wall if self.start_wall is not None else (np.nanmin(wall) if len(wall) else 0.0)
            keep = np.isfinite(wall)
            return wall[keep] - start, values[keep]
        if axis == "step":
            return (position if level == "step" else self._epoch_to_step(position)), values
        if axis == "epoch":
            return (self._step_to_epoch(position) if level == "step" else position), values
        raise ValueError(f"unknown x axis {axis!r}; expected one of {', '.join(X_AXES)}")

    def _completed_epochs(self) -> list[int]:
        done = {int(e) - 1 for series in self.epoch.values() for e in series.arrays()[0]}
        return sorted(e for e in self.epoch_last_step if e in done)

    def _epoch_to_step(self, epochs_done: np.ndarray) -> np.ndarray:
        return np.asarray(
            [self.epoch_last_step.get(int(e) - 1, int(e) * self.steps_per_epoch) for e in epochs_done], np.float64
        )

    def _step_to_epoch(self, steps: np.ndarray) -> np.ndarray:
        completed = self._completed_epochs()
        knots_x = np.asarray([0] + [self.epoch_last_step[e] for e in completed], np.float64)
        knots_y = np.asarray([0] + [e + 1 for e in completed], np.float64)
        per_epoch = self.steps_per_epoch or (knots_x[-1] / knots_y[-1] if knots_y[-1] else 1.0)
        out = np.interp(steps, knots_x, knots_y)
        beyond = steps > knots_x[-1]
        out[beyond] = knots_y[-1] + (steps[beyond] - knots_x[-1]) / max(per_epoch, 1.0)
        return out


def write_curves_csv(path: str | Path, rows: list[tuple[str, str, np.ndarray, np.ndarray, np.ndarray]], axis: str) -> Path:
    """Write curves as long CSV (run, series, x, value, smoothed) through ``path.tmp`` and an atomic replace.

    ``rows`` holds (run name, series label, x, raw values, smoothed values) per curve.
    """
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    try:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["run", "series", axis.replace(" ", "_"), "value", "smoothed"])
            for run, label, x, values, smoothed in rows:
                for xi, vi, si in zip(x.tolist(), values.tolist(), smoothed.tolist(), strict=True):
                    writer.writerow([run, label, repr(xi), repr(vi), repr(si)])
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def comparison_name(path: str | Path) -> str:
    """What a compared report is called: its run folder's name (the file's stem for a loose file)."""
    path = Path(path)
    return path.parent.name or path.stem
