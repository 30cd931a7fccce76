"""Coalition value functions v(S), one registry entry each.

Every value function reads the same two statistics of each coalition S of a sample, which the report
stores (format 2), so any value function can be applied to any epoch of a finished run without the
model: whether S predicts the true class, and the log-probability S gives the true class. It returns
values [B, K] (coalitions in the standard bitmask order, column 0 = ∅) with v(∅) = 0, so that the
Shapley values of a sample always sum to v(N). See docs/methods.md, "Value functions".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from core.registry import Registry


@dataclass(frozen=True)
class CoalitionStats:
    """Per sample and coalition: ``correct`` [B, K] (1.0 when S predicts the true class, else 0.0) and
    ``log_p`` [B, K] (log-probability of the true class under S); ``sizes`` [K] is |S|."""

    correct: torch.Tensor
    log_p: torch.Tensor
    sizes: torch.Tensor

    @staticmethod
    def from_logits(logits: torch.Tensor, labels: torch.Tensor, sizes: torch.Tensor) -> CoalitionStats:
        """Statistics of coalition logits [B, K, C] for labels [B] (computed in float32 or wider)."""
        logits = logits if logits.dtype == torch.float64 else logits.float()
        correct = (logits.argmax(dim=-1) == labels[:, None]).to(logits.dtype)
        index = labels[:, None, None].expand(-1, logits.shape[1], 1)
        log_p = logits.log_softmax(dim=-1).gather(-1, index).squeeze(-1)
        return CoalitionStats(correct, log_p, sizes.to(logits.device))


ValueFunction = Callable[[CoalitionStats], torch.Tensor]
VALUE_FUNCTIONS: Registry[ValueFunction] = Registry("value function")


def coalition_values(name: str, stats: CoalitionStats) -> torch.Tensor:
    """v(S) [B, K] of the registered value function ``name``."""
    return VALUE_FUNCTIONS.get(name)(stats)


def _empty_is_zero(values: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    return values * (sizes > 0).to(values.dtype)


@VALUE_FUNCTIONS.register(name="benefit")
def benefit(stats: CoalitionStats) -> torch.Tensor:
    """Reference payoff: v(S) = |S| if the coalition's prediction is right, else 0."""
    return stats.correct * stats.sizes.to(stats.correct.dtype)


@VALUE_FUNCTIONS.register(name="accuracy")
def accuracy(stats: CoalitionStats) -> torch.Tensor:
    """0/1 payoff: v(S) = 1 if the coalition's prediction is right, else 0."""
    return _empty_is_zero(stats.correct, stats.sizes)


@VALUE_FUNCTIONS.register(name="probability")
def probability(stats: CoalitionStats) -> torch.Tensor:
    """Soft payoff: p_S(y) − p_∅(y), the gain in true-class probability over the empty coalition."""
    p = stats.log_p.exp()
    return p - p[:, :1]


@VALUE_FUNCTIONS.register(name="log-probability")
def log_probability(stats: CoalitionStats) -> torch.Tensor:
    """Soft payoff: log p_S(y) − log p_∅(y), the gain in true-class log-likelihood (nats)."""
    return stats.log_p - stats.log_p[:, :1]
