"""Paper figures without a display: matplotlib (no pyplot, no Qt), one column wide (3.5 in), 8 pt text.

Each figure function takes plain arrays and returns a ``matplotlib.figure.Figure``; ``save_figure``
writes it as PNG (300 dpi), SVG and PDF. Missing values are NaN and are left out.

``phi_over_epochs(epochs, mean_phi, modalities, title="") -> Figure``
    mean φ ``[E, M]`` of each modality against ``epochs`` ``[E]`` (numbered as shown, from 1).
``phi_histograms(phi, modalities, bins=30, title="") -> Figure``
    per-sample φ ``[N, M]``, one overlaid histogram per modality.
``interaction_histogram(interaction, pairs, bins=30, title="") -> Figure``
    per-sample pair interactions ``[N, P]`` (``core.valuation.interaction``), one histogram per pair label.
``phi_gap_per_strategy(strategies, gap, low, high, label="φ gap", title="") -> Figure``
    one row per strategy name: value ``gap[s]`` with the interval ``[low[s], high[s]]`` (e.g. a 95 % CI).
``fixed_broken_scatter(phi_a, phi_b, correct_a, correct_b, names=("A", "B"), quantity="φ", title="") -> Figure``
    per sample, ``phi_a[n]`` of run A against ``phi_b[n]`` of run B, coloured fixed (wrong in A, right
    in B) / broken (right in A, wrong in B) / both right / both wrong (``outcomes(correct_a, correct_b)``).
``save_figure(figure, stem, formats=("png", "svg", "pdf"), dpi=300) -> list[Path]``
    writes ``<stem>.png``, ``<stem>.svg``, ``<stem>.pdf`` (each complete or absent).
``report_figures(report, out_dir, split=None, epoch=None, value_fn=None, formats=FORMATS) -> list[Path]``
    the standard figures of one report (``modalens report figure``), see :mod:`core.figures.report`.
"""

from core.figures.plots import (
    fixed_broken_scatter,
    interaction_histogram,
    outcomes,
    phi_gap_per_strategy,
    phi_histograms,
    phi_over_epochs,
)
from core.figures.report import report_figures
from core.figures.save import FORMATS, save_figure
from core.figures.style import COLUMN_WIDTH_IN, FONT_PT

__all__ = [
    "COLUMN_WIDTH_IN",
    "FONT_PT",
    "FORMATS",
    "fixed_broken_scatter",
    "interaction_histogram",
    "outcomes",
    "phi_gap_per_strategy",
    "phi_histograms",
    "phi_over_epochs",
    "report_figures",
    "save_figure",
]
