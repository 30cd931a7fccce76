"""The standard figures of an experiment (``modalens experiment figure``), drawn from the table's numbers.

Per dataset: ``phi_gap_<dataset>`` and ``test_acc_<dataset>`` (mean ± 95 % t-interval over seeds per
cell), ``d_acc_<dataset>`` (paired Δ test accuracy against the baseline with its bootstrap interval),
``interaction_hist_<dataset>`` (every finished run's per-sample pair interactions on the φ split, pooled)
and, per cell other than the baseline, ``fixed_broken_<dataset>_<cell>_<modality>``: per test sample
φ of the modality in the baseline against the cell, first common seed, coloured fixed / broken.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from core.experiments.spec import ExperimentSpec
from core.experiments.stats import Interval
from core.experiments.table import Group, align, build_table
from core.figures import (
    FORMATS,
    fixed_broken_scatter,
    interaction_histogram,
    phi_gap_per_strategy,
    save_figure,
)
from core.valuation.interaction import pair_labels


def experiment_figures(
    spec: ExperimentSpec, exp: str | Path, out_dir: str | Path, formats: Sequence[str] = FORMATS
) -> list[Path]:
    """Write the standard figures of the experiment in ``exp`` to ``out_dir``; returns the files written."""
    out_dir = Path(out_dir)
    groups = build_table(spec, exp)
    written: list[Path] = []
    for dataset in dict.fromkeys(g.dataset for g in groups):
        mine = [g for g in groups if g.dataset == dataset and g.figures]
        if not mine:
            continue
        stem = _safe(dataset)
        for key, label in (("phi_gap", "φ gap"), ("test_acc", "test accuracy")):
            figure = _interval_figure(mine, [g.intervals.get(key) for g in mine], label, dataset)
            written += _save(figure, out_dir / f"{key}_{stem}", formats)
        others = [g for g in mine if g.strategy != spec.baseline]
        label = f"Δ test accuracy vs {spec.baseline}"
        figure = _interval_figure(others, [g.paired.get("d_acc") for g in others], label, dataset)
        written += _save(figure, out_dir / f"d_acc_{stem}", formats)
        figure = _interaction_figure(mine, dataset)
        written += _save(figure, out_dir / f"interaction_hist_{stem}", formats)
        for group in others:
            base = next((g for g in mine if g.strategy == spec.baseline and g.shared == group.shared), None)
            if base is not None:
                written += _scatters(base, group, out_dir / f"fixed_broken_{stem}_{_safe(_label(group))}", formats)
    return written


def _save(figure: Figure | None, stem: Path, formats: Sequence[str]) -> list[Path]:
    return [] if figure is None else save_figure(figure, stem, formats)


def _label(group: Group) -> str:
    return f"{group.strategy} {group.settings}".strip()


def _interval_figure(
    groups: list[Group], intervals: list[Interval | None], label: str, dataset: str
) -> Figure | None:
    """One row per cell with its interval (a bare point where a single seed gives no interval); None
    without any value."""
    values = np.array([math.nan if i is None else i.value for i in intervals])
    if not np.isfinite(values).any():
        return None
    low = np.array([v if i is None or math.isnan(i.low) else i.low for v, i in zip(values, intervals, strict=True)])
    high = np.array([v if i is None or math.isnan(i.high) else i.high for v, i in zip(values, intervals, strict=True)])
    return phi_gap_per_strategy([_label(g) for g in groups], values, low, high, label=label, title=dataset)


def _interaction_figure(groups: list[Group], dataset: str) -> Figure | None:
    """Every finished run's per-sample pair interactions, pooled; None without any (one modality, or
    Monte-Carlo valuations, which store no coalition values)."""
    modalities = groups[0].modalities
    blocks = [f.interaction for g in groups for f in g.figures.values() if f.interaction is not None]
    pooled = np.concatenate(blocks) if blocks else np.zeros((0, 0))
    if len(modalities) < 2 or not np.isfinite(pooled).any():
        return None
    return interaction_histogram(pooled, pair_labels(modalities), title=f"{dataset}, all runs")


def _scatters(base: Group, group: Group, stem: Path, formats: Sequence[str]) -> list[Path]:
    """Per modality, the test samples' φ in the baseline against ``group`` at the first seed where both
    have the same test samples valued (``<stem>_<modality>``)."""
    for seed in sorted(set(base.figures) & set(group.figures)):
        a, b = base.figures[seed].test, group.figures[seed].test
        aligned = align(a, b) if a is not None and b is not None else None
        if aligned is None:
            continue
        a, b = aligned
        names = (f"{_label(base)} (seed {seed})", f"{_label(group)} (seed {seed})")
        written = []
        for j, modality in enumerate(a.modalities):
            figure = fixed_broken_scatter(
                a.phi[:, j], b.phi[:, j], a.correct, b.correct, names=names, quantity=f"φ {modality}",
                title=group.dataset,
            )
            written += save_figure(figure, stem.with_name(f"{stem.name}_{_safe(modality)}"), formats)
        return written
    return []


def _safe(name: str) -> str:
    """A name as a file-name part."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "x"
