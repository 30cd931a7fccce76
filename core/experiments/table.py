"""The experiment table: per cell (dataset × strategy × grid values) mean ± 95 % t-interval over seeds of
each figure in :data:`COLUMNS`, and paired differences against the baseline strategy (:data:`PAIRED`,
same test samples, same seeds, two-level bootstrap); written as ``EXP/results.md`` and ``EXP/results.csv``.

To add a figure: give :func:`core.experiments.readout.run_figures` a value under a new key and add a
:class:`Column` here (``{m}`` in key and title makes one column per modality, ``{p}`` one per modality pair
``a×b``); a paired statistic is a function of per-sample arrays (see :mod:`core.experiments.stats`) added to :data:`PAIRED`.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.atomic import atomic_write
from core.experiments import stats
from core.experiments.grid import PARAM_PREFIX, Cell, expand, settings_text
from core.experiments.outcome import read_outcome
from core.experiments.readout import RunFigures, SplitOutcome, run_figures
from core.experiments.spec import ExperimentSpec
from core.report.errors import ReportError
from core.run_files.state import RunState
from core.valuation.interaction import pair_labels

RESULTS_MD = "results.md"
RESULTS_CSV = "results.csv"


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    digits: int = 3


COLUMNS = (
    Column("test_acc", "test acc"),
    Column("test_f1", "macro-F1"),
    Column("head_acc/{m}", "head acc {m}"),
    Column("phi/{m}", "φ̄ {m}"),
    Column("phi_gap", "φ gap"),
    Column("phi_ties", "tie share"),
    Column("interaction/{p}", "interaction {p}"),
    Column("cost_s", "cost s", 1),
)
"""The figures shown per cell, in order."""


@dataclass(frozen=True)
class Paired:
    key: str
    title: str
    statistic: Callable[[dict[str, np.ndarray], np.ndarray], np.ndarray]


PAIRED = (
    Paired("d_acc", "Δ acc", stats.accuracy),
    Paired("d_f1", "Δ macro-F1", stats.macro_f1),
    Paired("d_phi_gap", "Δ φ gap", stats.phi_gap),
)
"""Paired differences (this cell − the baseline's) on the test split."""


@dataclass
class Group:
    """One cell of the table: the runs of one dataset × strategy × grid values over the seeds."""

    dataset: str
    strategy: str
    settings: str
    shared: str
    """The settings of the experiment-wide grid alone (what the baseline is matched on)."""
    cells: list[Cell] = field(default_factory=list)
    figures: dict[int, RunFigures] = field(default_factory=dict)
    """By seed, the finished runs."""
    problems: list[str] = field(default_factory=list)
    """One line per run that failed or is not finished."""
    intervals: dict[str, stats.Interval] = field(default_factory=dict)
    paired: dict[str, stats.Interval] = field(default_factory=dict)
    paired_note: str = ""

    @property
    def modalities(self) -> list[str]:
        return next((f.modalities for f in self.figures.values()), [])


def build_table(spec: ExperimentSpec, exp: str | Path) -> list[Group]:
    """Read every run of the experiment and compute the table's figures."""
    groups: dict[tuple[str, str, str], Group] = {}
    for cell in expand(spec, exp):
        shared = settings_text(tuple((k, v) for k, v in cell.settings if not k.startswith(PARAM_PREFIX)))
        group = groups.setdefault(cell.group, Group(*cell.group, shared=shared))
        group.cells.append(cell)
        try:
            group.figures[cell.seed] = run_figures(cell.run_dir, spec.table.epoch, spec.table.phi_split)
        except ReportError as exc:
            outcome = read_outcome(cell.run_dir)
            reason = outcome.error if outcome and outcome.state == RunState.FAILED else str(exc)
            group.problems.append(f"{cell.name}: {reason}")
    for group in groups.values():
        keys = _keys(group.modalities)
        group.intervals = {
            key: stats.t_interval([f.values.get(key, math.nan) for f in group.figures.values()])
            for key in keys
        }
    for group in groups.values():
        baseline = groups.get((group.dataset, spec.baseline, group.shared))
        if baseline is not None and baseline is not group:
            _pair(group, baseline, spec.table.bootstrap)
    return list(groups.values())


def _keys(modalities: list[str]) -> list[str]:
    return [key for column in COLUMNS for key in _expanded(column.key, modalities)]


def _expanded(text: str, modalities: list[str]) -> list[str]:
    if "{p}" in text:
        return [text.format(p=pair) for pair in pair_labels(modalities)]
    return [text.format(m=m) for m in modalities] if "{m}" in text else [text]


def _pair(group: Group, baseline: Group, replicates: int) -> None:
    """Paired differences of ``group`` against ``baseline`` over their common seeds."""
    pairs, unpaired = [], []
    for seed, figures in sorted(group.figures.items()):
        base = baseline.figures.get(seed)
        if base is None or base.test is None or figures.test is None:
            unpaired.append(seed)
            continue
        aligned = align(base.test, figures.test)
        if aligned is None:
            unpaired.append(seed)
            continue
        pairs.append((aligned[0].arrays(), aligned[1].arrays()))
    group.paired = {p.key: stats.paired_bootstrap(pairs, p.statistic, replicates) for p in PAIRED}
    if unpaired:
        group.paired_note = f"seed(s) {', '.join(map(str, unpaired))} unpaired (no finished run or test valuation on both sides)"


def align(a: SplitOutcome, b: SplitOutcome) -> tuple[SplitOutcome, SplitOutcome] | None:
    """Both outcomes on the same samples in the same order (matched by id); None unless they hold exactly
    the same samples."""
    if len(a.ids) != len(b.ids) or set(a.ids.tolist()) != set(b.ids.tolist()):
        return None
    position = {sample: i for i, sample in enumerate(b.ids.tolist())}
    return a, b.take(np.asarray([position[sample] for sample in a.ids.tolist()], dtype=np.int64))


def format_interval(interval: stats.Interval, digits: int = 3, signed: bool = False) -> str:
    """``0.812 ± 0.034`` (the half-width); the mean alone without an interval; "–" without data."""
    if math.isnan(interval.value):
        return "–"
    sign = "+" if signed else ""
    if math.isnan(interval.low):
        return f"{interval.value:{sign}.{digits}f}"
    return f"{interval.value:{sign}.{digits}f} ± {(interval.high - interval.low) / 2:.{digits}f}"


def format_difference(interval: stats.Interval, digits: int = 3) -> str:
    """``+0.012 [-0.004, +0.030]``, with ``*`` when the interval excludes 0."""
    if math.isnan(interval.value):
        return "–"
    mark = " *" if interval.significant else ""
    return f"{interval.value:+.{digits}f} [{interval.low:+.{digits}f}, {interval.high:+.{digits}f}]{mark}"


def markdown(spec: ExperimentSpec, groups: list[Group]) -> str:
    """The table as markdown, one section per dataset."""
    lines = [
        f"# Experiment `{spec.name}`",
        "",
        f"Figures at the {'best validation' if spec.table.epoch == 'best' else 'last'} epoch of each run "
        f"(φ on the {spec.table.phi_split} split): mean ± half-width of the 95 % t-interval over seeds "
        f"({', '.join(map(str, spec.seeds))}). Δ: paired difference against `{spec.baseline}` on the same "
        f"test samples and seeds, with a 95 % bootstrap interval ({spec.table.bootstrap} draws of seeds and, "
        "within each, test samples); * the interval excludes 0.",
        "",
    ]
    problems: list[str] = []
    for dataset in dict.fromkeys(g.dataset for g in groups):
        mine = [g for g in groups if g.dataset == dataset]
        modalities = next((g.modalities for g in mine if g.modalities), [])
        titles = [t for c in COLUMNS for t in _expanded(c.title, modalities)]
        header = ["strategy", "settings", "runs", *titles, *(p.title for p in PAIRED)]
        lines += [f"## {dataset}", "", _row(header), _row(["---"] * len(header))]
        for group in mine:
            cells = [group.strategy, group.settings or "–", f"{len(group.figures)}/{len(group.cells)}"]
            for column in COLUMNS:
                for key in _expanded(column.key, modalities):
                    cells.append(format_interval(group.intervals.get(key, _NONE), column.digits))
            if group.strategy == spec.baseline:
                cells += ["(baseline)"] + ["–"] * (len(PAIRED) - 1)
            else:
                cells += [format_difference(group.paired.get(p.key, _NONE)) for p in PAIRED]
            lines.append(_row(cells))
            problems += group.problems + (
                [f"{group.strategy} {group.settings}: {group.paired_note}"] if group.paired_note else []
            )
        lines.append("")
    if problems:
        lines += ["## Runs missing from the table", "", *(f"- {p}" for p in problems), ""]
    return "\n".join(lines)


_NONE = stats.Interval(math.nan, math.nan, math.nan)


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def csv_text(groups: list[Group]) -> str:
    """One row per cell: identity, run counts, then each figure's mean and interval bounds."""
    modalities = list(dict.fromkeys(m for g in groups for m in g.modalities))
    keys = _keys(modalities)
    header = ["dataset", "strategy", "settings", "runs", "failed_or_missing"]
    header += [f"{k}{suffix}" for k in keys for suffix in ("", " ci_low", " ci_high")]
    header += [f"{p.key}{suffix}" for p in PAIRED for suffix in ("", " ci_low", " ci_high", " significant")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for g in groups:
        row = [g.dataset, g.strategy, g.settings, len(g.figures), len(g.cells) - len(g.figures)]
        for key in keys:
            interval = g.intervals.get(key, _NONE)
            row += [_number(interval.value), _number(interval.low), _number(interval.high)]
        for p in PAIRED:
            interval = g.paired.get(p.key, _NONE)
            significant = "" if math.isnan(interval.value) else str(interval.significant).lower()
            row += [_number(interval.value), _number(interval.low), _number(interval.high), significant]
        writer.writerow(row)
    return out.getvalue()


def _number(value: float) -> str:
    return "" if math.isnan(value) else f"{value:.6g}"


def write_table(spec: ExperimentSpec, exp: str | Path) -> str:
    """Compute the table, write ``EXP/results.md`` and ``EXP/results.csv``; return the markdown."""
    exp = Path(exp)
    groups = build_table(spec, exp)
    text = markdown(spec, groups)
    with atomic_write(exp / RESULTS_MD, "w", encoding="utf-8") as handle:
        handle.write(text)
    with atomic_write(exp / RESULTS_CSV, "w", encoding="utf-8", newline="") as handle:
        handle.write(csv_text(groups))
    return text
