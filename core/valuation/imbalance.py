"""Dataset-level imbalance figures of one split's Shapley values (docs/methods.md, section Run metrics).

- ``phi_gap``: max − min over modalities of the mean φ (0 for one modality);
- ``phi_diff`` (two modalities only): mean φ of the first modality minus that of the second, signed;
- ``dominant/<m>``: the fraction of samples whose largest φ is modality m's alone;
- ``phi_ties``: the fraction of samples whose two largest φ are exactly equal (counted for no modality),
  so the dominant shares and the tie share add up to 1.
"""

from __future__ import annotations

import numpy as np

from core.valuation.result import ValuationResult


def imbalance_summary(phi: np.ndarray, modalities: list[str]) -> dict[str, float]:
    """The figures above for φ [samples, modalities]; empty for no samples."""
    phi = np.asarray(phi, dtype=np.float64)
    if phi.ndim != 2 or phi.shape[1] != len(modalities) or not modalities:
        raise ValueError(
            f"phi must have shape [samples, {len(modalities)}] for {modalities}, got {list(phi.shape)}"
        )
    if len(phi) == 0:
        return {}
    mean = phi.mean(axis=0)
    figures = {"phi_gap": float(mean.max() - mean.min())}
    if len(modalities) == 2:
        figures["phi_diff"] = float(mean[0] - mean[1])
    if len(modalities) == 1:
        tied = np.zeros(len(phi), dtype=bool)
    else:
        top_two = np.sort(phi, axis=1)[:, -2:]
        tied = top_two[:, 0] == top_two[:, 1]
    winner = phi.argmax(axis=1)
    for j, modality in enumerate(modalities):
        figures[f"dominant/{modality}"] = float(np.mean((winner == j) & ~tied))
    figures["phi_ties"] = float(tied.mean())
    return figures


def split_imbalance(result: ValuationResult) -> dict[str, float]:
    """:func:`imbalance_summary` of one valuation, keys prefixed by its split (``train/phi_gap``, ...)."""
    figures = imbalance_summary(result.phi, list(result.modalities))
    return {f"{result.split}/{key}": value for key, value in figures.items()}
