"""The standard figures of one report: mean φ over epochs, φ histograms and pair-interaction histograms."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from core.figures.plots import interaction_histogram, phi_histograms, phi_over_epochs
from core.figures.save import FORMATS, save_figure
from core.report.errors import ReportError
from core.report.reader import Report, SplitValuation
from core.report.summary import default_split
from core.valuation.interaction import pair_interactions


def report_figures(
    report: Report,
    out_dir: str | Path,
    split: str | None = None,
    epoch: int | None = None,
    value_fn: str | None = None,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Write the standard figures of one split (default: train, or the only one) to ``out_dir``:
    ``phi_epochs_<split>`` (mean φ per modality over epochs), ``phi_hist_<split>_e<k>`` and, with two or
    more modalities and coalition values stored, ``interaction_hist_<split>_e<k>`` for epoch ``epoch`` (a 0-based index; default the
    last valued; k counts from 1), under ``value_fn`` (default: the run's), each in every format.
    Returns the files written."""
    valuation = default_split(report, split)
    if not len(valuation.epochs):
        raise ReportError(f"{report.path}: split {valuation.split!r} has no valued epoch yet")
    epoch = int(valuation.epochs[-1]) if epoch is None else epoch
    valuation.epoch_rows(epoch)  # a clear error for an epoch not valued
    if value_fn is not None and value_fn not in valuation.value_functions:
        valuation.values_as(value_fn)  # a clear error, before any file is written
    out_dir = Path(out_dir)
    name, numbered = _safe(valuation.split), epoch + 1
    written = save_figure(
        phi_over_epochs(valuation.epochs + 1, _mean_phi(valuation, value_fn), valuation.modalities),
        out_dir / f"phi_epochs_{name}",
        formats,
    )
    blocks = list(valuation.value_blocks(epoch, value_fn=value_fn))
    phi = np.concatenate([b[1][0] for b in blocks]) if blocks else np.zeros((0, len(valuation.modalities)))
    written += save_figure(phi_histograms(phi, valuation.modalities), out_dir / f"phi_hist_{name}_e{numbered}", formats)
    m = len(valuation.modalities)
    coalitions = np.concatenate([b[2][0] for b in blocks]) if blocks else np.zeros((0, 2**m))
    interaction = pair_interactions(coalitions)
    if m >= 2 and np.isfinite(interaction).any():  # Monte-Carlo valuations store no coalition values
        figure = interaction_histogram(interaction, valuation.pairs)
        written += save_figure(figure, out_dir / f"interaction_hist_{name}_e{numbered}", formats)
    return written


def _mean_phi(valuation: SplitValuation, value_fn: str | None) -> np.ndarray:
    """Mean φ per epoch and modality over the samples valued that epoch: the stored means under the run's
    value function, else computed block by block under ``value_fn``."""
    if value_fn is None or value_fn == valuation.value_fn:
        return valuation.mean_phi
    m = len(valuation.modalities)
    sums, counts = np.zeros((len(valuation.epochs), m)), np.zeros((len(valuation.epochs), m))
    for _, phi in valuation.phi_blocks(value_fn=value_fn):
        valued = np.isfinite(phi)
        sums += np.where(valued, phi, 0).sum(axis=1)
        counts += valued.sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)


def _safe(name: str) -> str:
    """A split name as a file-name part."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "split"
