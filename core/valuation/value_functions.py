"""Coalition value functions v(S), one registry entry each.

Every function maps the logits of all coalitions of a batch ([B, K, C], coalitions in the standard
bitmask order, column 0 = ∅) and the true labels [B] to values [B, K] with v(∅) = 0, so that the
Shapley values of a sample always sum to v(N).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from core.registry import Registry

ValueFunction = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
VALUE_FUNCTIONS: Registry[ValueFunction] = Registry("value function")


def _correct(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (logits.argmax(dim=-1) == labels[:, None]).to(logits.dtype)


def _true_class(values: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    index = labels[:, None, None].expand(-1, values.shape[1], 1)
    return values.gather(-1, index).squeeze(-1)


def _empty_is_zero(values: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    return values * (sizes > 0).to(values.dtype)


@VALUE_FUNCTIONS.register("benefit")
def benefit(logits: torch.Tensor, labels: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Reference payoff: v(S) = |S| if the coalition's prediction is right, else 0."""
    return _correct(logits, labels) * sizes.to(logits.dtype)


@VALUE_FUNCTIONS.register("accuracy")
def accuracy(logits: torch.Tensor, labels: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """0/1 payoff: v(S) = 1 if the coalition's prediction is right, else 0."""
    return _empty_is_zero(_correct(logits, labels), sizes)


@VALUE_FUNCTIONS.register("probability")
def probability(logits: torch.Tensor, labels: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Soft payoff: p_S(y) − p_∅(y), the gain in true-class probability over the empty coalition."""
    p = _true_class(logits.softmax(dim=-1), labels)
    return p - p[:, :1]


@VALUE_FUNCTIONS.register("log-probability")
def log_probability(logits: torch.Tensor, labels: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """Soft payoff: log p_S(y) − log p_∅(y), the gain in true-class log-likelihood (nats)."""
    logp = _true_class(logits.log_softmax(dim=-1), labels)
    return logp - logp[:, :1]
