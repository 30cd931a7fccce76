"""The outcome of valuing one split after one epoch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def coalition_members(num_modalities: int) -> np.ndarray:
    """Coalition order used everywhere: row c is the bitmask c (bit j set = modality j present).

    Returns a bool array [2^M, M].
    """
    codes = np.arange(2**num_modalities)
    return ((codes[:, None] >> np.arange(num_modalities)[None, :]) & 1).astype(bool)


def coalition_labels(modalities: list[str]) -> list[str]:
    """Human-readable names of the coalitions in the standard order ("∅", "audio", "audio+video", ...)."""
    members = coalition_members(len(modalities))
    return ["+".join(m for m, on in zip(modalities, row) if on) or "∅" for row in members]


@dataclass(frozen=True)
class ValuationResult:
    """Shapley values of every valued sample of one split after one epoch.

    ``sample_index`` indexes the prepared dataset; ``coalition_values`` follows
    :func:`coalition_members` order (column 0 is the empty coalition, always 0).
    ``phi_stderr`` is set for Monte-Carlo estimates and ``None`` for exact values.
    ``coalition_correct`` and ``coalition_log_p`` ([samples, 2^M], exact valuations) are what every value
    function is computed from (see :class:`core.valuation.value_functions.CoalitionStats`), so the
    values of any other value function follow without the model (:func:`revalue`).
    """

    epoch: int
    split: str
    value_fn: str
    modalities: list[str]
    sample_index: np.ndarray
    phi: np.ndarray
    coalition_values: np.ndarray
    prediction: np.ndarray
    correct: np.ndarray
    method: str = "exact"
    phi_stderr: np.ndarray | None = None
    coalition_correct: np.ndarray | None = None
    coalition_log_p: np.ndarray | None = None

    @property
    def mean_phi(self) -> np.ndarray:
        return self.phi.mean(axis=0) if len(self.phi) else np.zeros(len(self.modalities), np.float32)
