"""Shapley values from coalition values: exact enumeration, and a Monte-Carlo permutation estimate."""

from __future__ import annotations

from collections.abc import Callable
from math import factorial

import numpy as np
import torch

from core.valuation.result import coalition_members


def shapley_matrix(num_modalities: int) -> np.ndarray:
    """A [2^M, M] matrix A with φ = v @ A for coalition values v in the standard order."""
    members = coalition_members(num_modalities)
    sizes = members.sum(axis=1)
    m = num_modalities
    matrix = np.zeros((2**m, m))
    for code, size in enumerate(sizes):
        for j in range(m):
            if members[code, j]:
                matrix[code, j] = factorial(size - 1) * factorial(m - size) / factorial(m)
            else:
                matrix[code, j] = -factorial(size) * factorial(m - size - 1) / factorial(m)
    return matrix


def exact_shapley(values: torch.Tensor) -> torch.Tensor:
    """Exact Shapley values [B, M] from all coalition values [B, 2^M]."""
    m = int(round(np.log2(values.shape[1])))
    matrix = torch.as_tensor(shapley_matrix(m), dtype=torch.float64, device=values.device)
    return (values.double() @ matrix).to(values.dtype)


def monte_carlo_shapley(
    value_of: Callable[[torch.Tensor], torch.Tensor],
    batch_size: int,
    num_modalities: int,
    permutations: int,
    generator: torch.Generator,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Permutation-sampling Shapley estimate and its standard error, both [B, M].

    ``value_of(members)`` takes a bool coalition matrix [K, M] and returns values [B, K]. Each sampled
    permutation contributes one marginal contribution per modality; the estimate is their mean.
    """
    m = num_modalities
    order = torch.stack([torch.randperm(m, generator=generator) for _ in range(permutations)])
    steps = torch.arange(m + 1)
    rank = torch.empty_like(order)
    rank.scatter_(1, order, torch.arange(m).expand(permutations, m))
    prefixes = rank[:, None, :] < steps[None, :, None]
    values = value_of(prefixes.reshape(-1, m)).view(batch_size, permutations, m + 1)
    gains = values[:, :, 1:] - values[:, :, :-1]
    contributions = torch.empty(batch_size, permutations, m, dtype=values.dtype, device=values.device)
    contributions.scatter_(2, order.to(values.device).expand(batch_size, -1, -1), gains)
    mean = contributions.mean(dim=1)
    stderr = (
        contributions.std(dim=1, unbiased=True) / permutations**0.5
        if permutations > 1
        else torch.zeros_like(mean)
    )
    return mean, stderr
