"""What the table and the comparison read from a run: its figures at one epoch, and one split's
per-sample outcome (ids, labels, fused predictions, φ) at that epoch, through the report reader.

The epoch is the best validation epoch (the report's ``best_epoch``) when the run has a val split,
else the last epoch; or the last epoch on request.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.report.errors import ReportError
from core.report.reader import Report, open_report
from core.run_files.layout import REPORT_NAME
from core.run_files.state import RunState
from core.valuation.imbalance import imbalance_summary
from core.valuation.interaction import pair_interactions, pair_labels


def report_path(run: str | Path) -> Path:
    """A run folder's report, or the report file given."""
    run = Path(run)
    return run / REPORT_NAME if run.is_dir() else run


def chosen_epoch(report: Report, rule: str = "best") -> int:
    """The epoch read: ``rule`` "best" (the best val epoch where there is a val split, else the last) or "last"."""
    epochs = report.epoch_metrics.get("epoch", np.zeros(0))
    if not len(epochs):
        raise ReportError(f"{report.path}: no complete epoch yet")
    if rule == "best" and report.best_epoch is not None and "val/acc" in report.epoch_metrics:
        return int(report.best_epoch)
    return int(epochs[-1])


@dataclass(frozen=True)
class SplitOutcome:
    """One split of one run at one epoch, samples in dataset order."""

    split: str
    epoch: int
    ids: np.ndarray
    labels: np.ndarray
    prediction: np.ndarray
    correct: np.ndarray
    phi: np.ndarray
    """[sample, modality]"""
    modalities: list[str]
    class_names: list[str]
    head_accuracy: dict[str, float]
    """Each modality's unimodal-head accuracy on the split at that epoch (from the epoch metrics)."""

    def arrays(self) -> dict[str, np.ndarray]:
        """The per-sample arrays the bootstrap statistics read."""
        return {
            "labels": self.labels,
            "prediction": self.prediction,
            "correct": self.correct,
            "phi": self.phi,
        }

    def take(self, order: np.ndarray) -> SplitOutcome:
        """The same outcome with only the samples at positions ``order``, in that order."""
        return SplitOutcome(
            self.split,
            self.epoch,
            self.ids[order],
            self.labels[order],
            self.prediction[order],
            self.correct[order],
            self.phi[order],
            self.modalities,
            self.class_names,
            self.head_accuracy,
        )


def split_outcome(report: Report, split: str, epoch: int) -> SplitOutcome:
    """The per-sample outcome of ``split`` at ``epoch``; ReportError when it was not valued then."""
    if split not in report.valuation:
        splits = ", ".join(report.valuation) or "none"
        raise ReportError(f"{report.path}: split {split!r} was not valued (valued: {splits})")
    valuation = report.valuation[split]
    chosen = valuation.select(epoch=epoch)
    index = valuation.sample_index
    order = np.argsort(index, kind="stable")
    order = order[chosen.prediction[0][order] >= 0]  # samples not valued at that epoch read as -1
    data = report.dataset
    row = _metric_row(report, epoch)
    heads = {m: _metric(report, f"{split}/acc/{m}", row) for m in valuation.modalities}
    return SplitOutcome(
        split=split,
        epoch=epoch,
        ids=np.asarray(data.take("ids", index[order]), dtype=object),
        labels=np.asarray(data.take("labels", index[order]), dtype=np.int64),
        prediction=chosen.prediction[0][order].astype(np.int64),
        correct=chosen.correct[0][order].astype(bool),
        phi=chosen.phi[0][order].astype(np.float64),
        modalities=list(valuation.modalities),
        class_names=list(data.class_names),
        head_accuracy=heads,
    )


@dataclass(frozen=True)
class RunFigures:
    """A finished run's figures at the chosen epoch, and its test split's per-sample outcome."""

    epoch: int
    modalities: list[str]
    values: dict[str, float]
    """Keyed as the table's columns: ``test_acc``, ``test_f1``, ``head_acc/<m>``, ``phi/<m>``, ``phi_gap``,
    ``phi_ties``, ``interaction/<a×b>``, ``cost_s`` (NaN where the report lacks the figure)."""
    test: SplitOutcome | None
    interaction: np.ndarray | None = None
    """Per sample of the φ split valued at the epoch, each modality pair's interaction ``[sample, pair]``."""


def run_figures(run: str | Path, rule: str = "best", phi_split: str = "test") -> RunFigures:
    """Read one run's figures (ReportError for a missing or unfinished report)."""
    report = open_report(report_path(run))
    if report.state != RunState.FINISHED:
        raise ReportError(f"{report.path}: the run is {report.state}, not finished")
    epoch = chosen_epoch(report, rule)
    row = _metric_row(report, epoch)
    modalities = list(report.modalities)
    values = {"test_acc": _metric(report, "test/acc", row), "test_f1": _metric(report, "test/f1", row)}
    values.update({f"head_acc/{m}": _metric(report, f"test/acc/{m}", row) for m in modalities})
    values["cost_s"] = float(report.epoch_metrics.get("train_time_s", [math.nan])[-1])
    phi = _phi_at(report, phi_split, epoch)
    figures = imbalance_summary(phi, modalities) if phi is not None and len(phi) else {}
    mean_phi = phi.mean(axis=0) if phi is not None and figures else None
    values.update(
        {f"phi/{m}": float(mean_phi[j]) if mean_phi is not None else math.nan for j, m in enumerate(modalities)}
    )
    values["phi_gap"] = figures.get("phi_gap", math.nan)
    values["phi_ties"] = figures.get("phi_ties", math.nan)
    interaction = _interaction_at(report, phi_split, epoch)
    for p, pair in enumerate(pair_labels(modalities)):
        finite = interaction[:, p][np.isfinite(interaction[:, p])] if interaction is not None else ()
        values[f"interaction/{pair}"] = float(np.mean(finite)) if len(finite) else math.nan
    test = split_outcome(report, "test", epoch) if _valued_at(report, "test", epoch) else None
    return RunFigures(epoch, modalities, values, test, interaction)


def _valued_at(report: Report, split: str, epoch: int) -> bool:
    return split in report.valuation and epoch in report.valuation[split].epochs.tolist()


def _phi_at(report: Report, split: str, epoch: int) -> np.ndarray | None:
    if not _valued_at(report, split, epoch):
        return None
    return report.valuation[split].select(epoch=epoch).phi[0].astype(np.float64)


def _interaction_at(report: Report, split: str, epoch: int) -> np.ndarray | None:
    """Pair interactions [sample, pair] of the samples valued at ``epoch`` (NaN rows: Monte-Carlo values)."""
    if not _valued_at(report, split, epoch) or len(report.modalities) < 2:
        return None
    chosen = report.valuation[split].select(epoch=epoch)
    return pair_interactions(chosen.coalition_values[0][chosen.prediction[0] >= 0])


def _metric_row(report: Report, epoch: int) -> int | None:
    rows = np.flatnonzero(report.epoch_metrics.get("epoch", np.zeros(0)) == epoch)
    return int(rows[0]) if len(rows) else None


def _metric(report: Report, key: str, row: int | None) -> float:
    column = report.epoch_metrics.get(key)
    return math.nan if column is None or row is None else float(column[row])
