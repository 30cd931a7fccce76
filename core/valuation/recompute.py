"""Shapley values under another value function, from stored coalition statistics (no model needed)."""

from __future__ import annotations

import numpy as np
import torch

from core.valuation.result import coalition_members
from core.valuation.shapley import exact_shapley
from core.valuation.value_functions import CoalitionStats, coalition_values


def revalue(correct: np.ndarray, log_p: np.ndarray, value_fn: str) -> tuple[np.ndarray, np.ndarray]:
    """(φ [..., M], v [..., 2^M]) of ``value_fn`` from ``correct`` and ``log_p`` ([..., 2^M]).

    Leading axes (epochs, samples) are kept; entries that were never valued (NaN log-probabilities)
    give NaN values. The arithmetic is the valuation's own, so the result equals a fresh valuation of
    the same model with that value function.
    """
    correct, log_p = np.asarray(correct), np.asarray(log_p, dtype=np.float32)
    if correct.shape != log_p.shape or correct.ndim < 1:
        raise ValueError(f"coalition statistics of shapes {correct.shape} and {log_p.shape} do not match")
    k = log_p.shape[-1]
    m = int(round(np.log2(k))) if k else -1
    if m < 1 or 2**m != k:
        raise ValueError(f"coalition statistics have {k} columns, not 2^M for some M >= 1")
    lead = log_p.shape[:-1]
    sizes = torch.as_tensor(coalition_members(m).sum(axis=1))
    stats = CoalitionStats(
        torch.from_numpy(correct.reshape(-1, k).astype(np.float32)), torch.from_numpy(log_p.reshape(-1, k)), sizes
    )
    values = coalition_values(value_fn, stats)
    values[torch.isnan(stats.log_p).any(dim=1)] = torch.nan
    phi = exact_shapley(values)
    return phi.numpy().reshape(*lead, m), values.numpy().reshape(*lead, k)
