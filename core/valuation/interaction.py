"""Shapley interaction index of every pair of modalities, from coalition values (exact, post hoc like φ).

For modalities i ≠ j of N (|N| = M) and coalition values v (standard bitmask order, see
:func:`core.valuation.result.coalition_members`)::

    I_ij = Σ_{S ⊆ N∖{i,j}} |S|! (M−|S|−2)! / (M−1)! · [v(S∪{i,j}) − v(S∪{i}) − v(S∪{j}) + v(S)]

(Grabisch & Roubens' Shapley interaction index). Positive: synergy, the pair is worth more together
than apart; negative: redundancy, either one does the other's work. With M = 2 it is
v(N) − v(i) − v(j) + v(∅). It is linear in v, so it holds under every value function, computed from the
same stored coalition values as φ; it needs all 2^M values (exact valuations), never the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from math import factorial

import numpy as np

from core.valuation.result import coalition_members


def modality_pairs(num_modalities: int) -> list[tuple[int, int]]:
    """The pairs (i, j), i < j, in the order of every interaction axis: (0, 1), (0, 2), …, (1, 2), …"""
    return list(combinations(range(num_modalities), 2))


def pair_labels(modalities: Sequence[str], joiner: str = "×") -> list[str]:
    """One label per pair, in :func:`modality_pairs` order: ``"audio×video"`` (or with ``joiner``)."""
    return [f"{modalities[i]}{joiner}{modalities[j]}" for i, j in modality_pairs(len(modalities))]


def pair_weights(num_modalities: int, i: int, j: int) -> np.ndarray:
    """The coefficients w [2^M] with I_ij = v @ w: coalition T = S ∪ (part of {i, j}) gets
    ±|S|!(M−|S|−2)!/(M−1)!, + when T holds both or neither of i and j, − when it holds one."""
    m = num_modalities
    members = coalition_members(m)
    has_i, has_j = members[:, i], members[:, j]
    rest = members.sum(axis=1) - has_i - has_j  # |S|
    scale = np.array([factorial(s) * factorial(m - s - 2) / factorial(m - 1) for s in range(m - 1)])
    return np.where(has_i == has_j, 1.0, -1.0) * scale[rest]


def pair_interactions(values: np.ndarray) -> np.ndarray:
    """Shapley interaction index of every modality pair, ``[..., P]`` (P = M(M−1)/2, pairs in
    :func:`modality_pairs` order) from coalition values ``[..., 2^M]``; leading axes (epochs, samples)
    are kept, rows holding a NaN give NaN. Computed in float64."""
    values = np.asarray(values, dtype=np.float64)
    k = values.shape[-1] if values.ndim else 0
    m = k.bit_length() - 1
    if values.ndim < 1 or m < 1 or 2**m != k:
        raise ValueError(f"coalition values have shape {values.shape}; expected [..., 2^M] for some M >= 1")
    pairs = modality_pairs(m)
    if not pairs:
        return np.zeros(values.shape[:-1] + (0,))
    weights = np.stack([pair_weights(m, i, j) for i, j in pairs], axis=1)  # [2^M, P]
    return values @ weights
