"""Two runs side by side, sample by sample, on one split: accuracy of each and the paired difference
(bootstrap over samples), the samples B fixed (wrong in A, right in B) and broke (right in A, wrong in
B), per modality head accuracy and mean φ, per class accuracy, mean φ and φ gap, and every sample's φ
in A against B (for a scatter coloured by fixed / broken / both right / both wrong)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.atomic import atomic_write
from core.experiments import stats
from core.experiments.readout import SplitOutcome, chosen_epoch, report_path, split_outcome
from core.report.errors import ReportError
from core.report.reader import open_report

FIXED, BROKEN, BOTH_RIGHT, BOTH_WRONG = "fixed", "broken", "both right", "both wrong"


@dataclass(frozen=True)
class ClassRow:
    name: str
    samples: int
    accuracy_a: float
    accuracy_b: float
    fixed: int
    broken: int
    phi_a: np.ndarray
    """Mean φ per modality in A over the class's samples."""
    phi_b: np.ndarray


@dataclass(frozen=True)
class Comparison:
    a: SplitOutcome
    b: SplitOutcome
    """Both on the samples valued in both runs, in the same order."""
    only_a: int
    only_b: int
    difference: stats.Interval
    """Accuracy of B minus accuracy of A, with its 95 % bootstrap interval over the samples."""
    category: np.ndarray
    """Per sample: fixed, broken, both right or both wrong."""
    classes: list[ClassRow]

    @property
    def modalities(self) -> list[str]:
        return self.a.modalities

    def count(self, category: str) -> int:
        return int(np.sum(self.category == category))

    def samples(self, category: str) -> np.ndarray:
        """Positions of the samples of one category."""
        return np.flatnonzero(self.category == category)


def gap(phi: np.ndarray) -> float:
    """max − min over modalities of the mean φ (NaN for no sample)."""
    if not len(phi):
        return float("nan")
    means = phi.mean(axis=0)
    return float(means.max() - means.min())


def compare_outcomes(a: SplitOutcome, b: SplitOutcome, replicates: int = 2000) -> Comparison:
    """Compare two outcomes of one split on the samples both hold (matched by id)."""
    if a.modalities != b.modalities:
        raise ReportError(
            f"the runs have different modalities ({', '.join(a.modalities)} / {', '.join(b.modalities)})"
        )
    if a.class_names != b.class_names:
        raise ReportError("the runs have different classes; compare runs of one dataset")
    position = {sample: i for i, sample in enumerate(b.ids.tolist())}
    mine = [i for i, sample in enumerate(a.ids.tolist()) if sample in position]
    if not mine:
        raise ReportError(f"the runs share no sample of split {a.split!r}")
    a_common = a.take(np.asarray(mine, dtype=np.int64))
    b_common = b.take(np.asarray([position[s] for s in a_common.ids.tolist()], dtype=np.int64))
    if not np.array_equal(a_common.labels, b_common.labels):
        raise ReportError("the runs give the same sample ids different labels; compare runs of one dataset")
    right_a, right_b = a_common.correct, b_common.correct
    category = np.where(
        right_a, np.where(right_b, BOTH_RIGHT, BROKEN), np.where(right_b, FIXED, BOTH_WRONG)
    ).astype(object)
    difference = stats.paired_bootstrap([(a_common.arrays(), b_common.arrays())], stats.accuracy, replicates)
    classes = []
    for c, name in enumerate(a.class_names):
        rows = a_common.labels == c
        if not rows.any():
            continue
        classes.append(
            ClassRow(
                name=name,
                samples=int(rows.sum()),
                accuracy_a=float(right_a[rows].mean()),
                accuracy_b=float(right_b[rows].mean()),
                fixed=int(np.sum(category[rows] == FIXED)),
                broken=int(np.sum(category[rows] == BROKEN)),
                phi_a=a_common.phi[rows].mean(axis=0),
                phi_b=b_common.phi[rows].mean(axis=0),
            )
        )
    return Comparison(
        a=a_common,
        b=b_common,
        only_a=len(a.ids) - len(mine),
        only_b=len(b.ids) - len(mine),
        difference=difference,
        category=category,
        classes=classes,
    )


def compare_runs(run_a: str | Path, run_b: str | Path, split: str = "test", rule: str = "best") -> Comparison:
    """Compare two run folders (or reports) on ``split``, each at its chosen epoch."""
    outcomes = []
    for run in (run_a, run_b):
        report = open_report(report_path(run))
        outcomes.append(split_outcome(report, split, chosen_epoch(report, rule)))
    return compare_outcomes(outcomes[0], outcomes[1])


def comparison_text(c: Comparison, names: tuple[str, str], list_samples: bool = False) -> str:
    """The comparison for the terminal."""
    a, b = c.a, c.b
    d = c.difference
    lines = [
        f"A: {names[0]} (epoch {a.epoch + 1})",
        f"B: {names[1]} (epoch {b.epoch + 1})",
        f"{a.split} samples in both: {len(a.ids)} (only in A: {c.only_a}, only in B: {c.only_b})",
        f"accuracy: A {a.correct.mean():.4f}, B {b.correct.mean():.4f}, B - A {d.value:+.4f} "
        f"[95% CI {d.low:+.4f}, {d.high:+.4f}]{' (significant)' if d.significant else ''}",
        f"fixed by B (wrong in A, right in B): {c.count(FIXED)}; broken by B (right in A, wrong in B): "
        f"{c.count(BROKEN)}; both right: {c.count(BOTH_RIGHT)}; both wrong: {c.count(BOTH_WRONG)}",
        "",
    ]
    rows = [["modality", "head acc A", "head acc B", "mean phi A", "mean phi B"]]
    for j, m in enumerate(c.modalities):
        rows.append(
            [
                m,
                _n(a.head_accuracy.get(m)),
                _n(b.head_accuracy.get(m)),
                _n(a.phi[:, j].mean()),
                _n(b.phi[:, j].mean()),
            ]
        )
    rows.append(["phi gap", "", "", _n(gap(a.phi)), _n(gap(b.phi))])
    lines += _aligned(rows) + [""]
    header = ["class", "n", "acc A", "acc B", "fixed", "broken"]
    header += [f"phi {m} {side}" for m in c.modalities for side in "AB"] + ["gap A", "gap B"]
    rows = [header]
    for row in c.classes:
        phis = [_n(phi[j]) for j in range(len(c.modalities)) for phi in (row.phi_a, row.phi_b)]
        rows.append(
            [
                row.name,
                str(row.samples),
                _n(row.accuracy_a),
                _n(row.accuracy_b),
                str(row.fixed),
                str(row.broken),
                *phis,
                _n(float(row.phi_a.max() - row.phi_a.min())),
                _n(float(row.phi_b.max() - row.phi_b.min())),
            ]
        )
    lines += _aligned(rows)
    if list_samples:
        for category in (FIXED, BROKEN):
            lines += ["", f"{category} by B:"]
            for i in c.samples(category).tolist():
                label = a.class_names[a.labels[i]]
                lines.append(
                    f"  {a.ids[i]}  label {label}  A says {a.class_names[a.prediction[i]]}, "
                    f"B says {b.class_names[b.prediction[i]]}"
                )
    return "\n".join(lines)


def write_pairs_csv(c: Comparison, path: str | Path) -> int:
    """One row per sample: id, label, both predictions, category, then φ of each modality in A and in B."""
    header = ["id", "label", "prediction_a", "prediction_b", "category"]
    header += [f"phi_{side}/{m}" for side in "ab" for m in c.modalities]
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        names = c.a.class_names
        for i in range(len(c.a.ids)):
            phis = [f"{v:.7g}" for v in (*c.a.phi[i], *c.b.phi[i])]
            writer.writerow(
                [
                    c.a.ids[i],
                    names[c.a.labels[i]],
                    names[c.a.prediction[i]],
                    names[c.b.prediction[i]],
                    c.category[i],
                    *phis,
                ]
            )
    return len(c.a.ids)


def _n(value: float | None) -> str:
    return "-" if value is None or np.isnan(value) else f"{value:.4f}"


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(w) if k == 0 else cell.rjust(w)
            for k, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
