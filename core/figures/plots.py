"""The standard figures, each drawn from plain arrays into a new matplotlib figure (no display, no pyplot)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from core.figures.style import (
    COLUMN_WIDTH_IN,
    CORRECT_COLOR,
    INCORRECT_COLOR,
    NEUTRAL_COLOR,
    PALETTE,
    ROW_HEIGHT_IN,
    modality_colors,
    new_figure,
    paper_style,
)

OUTCOMES = ("both right", "both wrong", "fixed", "broken")  # drawing order: the rare ones on top
OUTCOME_COLORS = {"both right": "#C8C8C8", "both wrong": "#606060", "fixed": CORRECT_COLOR, "broken": INCORRECT_COLOR}


def phi_over_epochs(epochs: np.ndarray, mean_phi: np.ndarray, modalities: Sequence[str], title: str = "") -> Figure:
    """Mean φ of each modality ``mean_phi`` [E, M] against ``epochs`` [E] (as the reader counts them: from 1)."""
    epochs, mean_phi = np.asarray(epochs), np.asarray(mean_phi, dtype=np.float64)
    _check_width(mean_phi, modalities, "mean_phi")
    if len(mean_phi) != len(epochs):
        raise ValueError(f"mean_phi has {len(mean_phi)} rows for {len(epochs)} epochs")
    with paper_style():
        figure, (ax,) = new_figure()
        for column, (name, color) in enumerate(zip(modalities, modality_colors(modalities), strict=True)):
            ax.plot(epochs, mean_phi[:, column], marker="o", color=color, label=name)
        ax.axhline(0, color=NEUTRAL_COLOR, linewidth=0.6)
        ax.set_xlabel("epoch")
        ax.set_ylabel("mean φ")
        if len(epochs) and len(epochs) <= 12:
            ax.set_xticks(epochs)
        _finish(ax, title, legend=True)
    return figure


def phi_histograms(phi: np.ndarray, modalities: Sequence[str], bins: int = 30, title: str = "") -> Figure:
    """Distribution of per-sample φ ``phi`` [N, M] of each modality, overlaid (NaN rows are left out)."""
    phi = np.asarray(phi, dtype=np.float64)
    _check_width(phi, modalities, "phi")
    return _histograms(phi, list(modalities), modality_colors(modalities), bins, "φ", title)


def interaction_histogram(interaction: np.ndarray, pairs: Sequence[str], bins: int = 30, title: str = "") -> Figure:
    """Distribution of per-sample pair interactions ``interaction`` [N, P] (labels ``pairs``), overlaid;
    left of 0 redundancy, right of 0 synergy."""
    interaction = np.asarray(interaction, dtype=np.float64)
    _check_width(interaction, pairs, "interaction")
    colors = [PALETTE[p % len(PALETTE)] for p in range(len(pairs))] if len(pairs) > 1 else [NEUTRAL_COLOR]
    return _histograms(interaction, list(pairs), colors, bins, "pair interaction (− redundancy, + synergy)", title)


def phi_gap_per_strategy(
    strategies: Sequence[str],
    gap: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
    label: str = "φ gap",
    title: str = "",
) -> Figure:
    """One row per strategy: its mean ``gap`` [S] with the interval [``low``, ``high``] (e.g. a 95 % CI)
    as an error bar; the strategies read top to bottom in the given order."""
    gap, low, high = (np.asarray(a, dtype=np.float64).reshape(-1) for a in (gap, low, high))
    if not len(strategies) == len(gap) == len(low) == len(high):
        raise ValueError(f"{len(strategies)} strategies but {len(gap)} gaps, {len(low)} lows, {len(high)} highs")
    y = np.arange(len(strategies))
    with paper_style():
        figure, (ax,) = new_figure(height_in=0.6 + 0.2 * max(len(strategies), 2))
        ax.errorbar(gap, y, xerr=np.stack([gap - low, high - gap]), fmt="o", color="#0072B2", ecolor="#0072B2",
                    elinewidth=0.8, capsize=2)
        ax.axvline(0, color=NEUTRAL_COLOR, linewidth=0.6)
        ax.set_yticks(y, list(strategies))
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(label)
        _finish(ax, title, legend=False)
    return figure


def fixed_broken_scatter(
    phi_a: np.ndarray,
    phi_b: np.ndarray,
    correct_a: np.ndarray,
    correct_b: np.ndarray,
    names: tuple[str, str] = ("A", "B"),
    quantity: str = "φ",
    title: str = "",
) -> Figure:
    """Per sample, ``phi_a`` [N] of run A against ``phi_b`` [N] of run B, coloured by outcome: fixed
    (wrong in A, right in B), broken (right in A, wrong in B), both right, both wrong (counts in the
    legend); the diagonal marks equal values."""
    phi_a, phi_b = np.asarray(phi_a, dtype=np.float64).reshape(-1), np.asarray(phi_b, dtype=np.float64).reshape(-1)
    correct_a, correct_b = np.asarray(correct_a, bool).reshape(-1), np.asarray(correct_b, bool).reshape(-1)
    if not len(phi_a) == len(phi_b) == len(correct_a) == len(correct_b):
        raise ValueError(f"per-sample arrays of lengths {len(phi_a)}, {len(phi_b)}, {len(correct_a)}, {len(correct_b)}")
    kinds = outcomes(correct_a, correct_b)
    with paper_style():
        figure, (ax,) = new_figure(height_in=COLUMN_WIDTH_IN * 0.8)
        for kind in OUTCOMES:
            mine = kinds == kind
            ax.scatter(phi_a[mine], phi_b[mine], s=6, color=OUTCOME_COLORS[kind], linewidths=0,
                       label=f"{kind} ({int(mine.sum())})")
        finite = np.concatenate([phi_a, phi_b])
        finite = finite[np.isfinite(finite)]
        if len(finite):
            lo, hi = float(finite.min()), float(finite.max())
            ax.plot([lo, hi], [lo, hi], color=NEUTRAL_COLOR, linewidth=0.6, zorder=0)
        ax.set_xlabel(f"{quantity} in {names[0]}")
        ax.set_ylabel(f"{quantity} in {names[1]}")
        _finish(ax, title, legend=True)
    return figure


def outcomes(correct_a: np.ndarray, correct_b: np.ndarray) -> np.ndarray:
    """Per sample one of ``OUTCOMES``: fixed = wrong in A and right in B, broken = the reverse."""
    a, b = np.asarray(correct_a, bool), np.asarray(correct_b, bool)
    return np.select([a & b, ~a & ~b, ~a & b], ["both right", "both wrong", "fixed"], "broken")


def _histograms(values: np.ndarray, names: list[str], colors: list[str], bins: int, xlabel: str, title: str) -> Figure:
    finite = values[np.isfinite(values)]
    edges = np.histogram_bin_edges(finite if len(finite) else np.zeros(1), bins=bins)
    with paper_style():
        figure, (ax,) = new_figure(height_in=ROW_HEIGHT_IN)
        for column, (name, color) in enumerate(zip(names, colors, strict=True)):
            column_values = values[:, column]
            column_values = column_values[np.isfinite(column_values)]
            ax.hist(column_values, bins=list(edges), histtype="stepfilled", alpha=0.35, color=color)
            ax.hist(column_values, bins=list(edges), histtype="step", linewidth=1.0, color=color, label=name)
        ax.axvline(0, color=NEUTRAL_COLOR, linewidth=0.6)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("samples")
        _finish(ax, title, legend=len(names) > 0)
    return figure


def _finish(ax, title: str, legend: bool) -> None:
    if title:
        ax.set_title(title)
    if legend and ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", handlelength=1.2, borderaxespad=0.3)


def _check_width(values: np.ndarray, names: Sequence[str], what: str) -> None:
    if values.ndim != 2 or values.shape[1] != len(names):
        raise ValueError(f"{what} has shape {values.shape}; expected one column per name ({len(names)})")
