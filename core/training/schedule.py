"""The learning-rate schedule: linear warm-up, then cosine decay, a constant rate or steps (``OptimConfig``).

The rate is a pure function of where training stands (epoch and step within it), so a resumed run and
an epoch lengthened by re-sampled copies follow the same curve without scheduler state.
"""

from __future__ import annotations

import math

import torch

from core.config import OptimConfig


def lr_factor(optim: OptimConfig, epoch: int, step: int, steps: int) -> float:
    """The multiplier of ``optim.lr`` for step ``step`` (0-based) of the ``steps`` steps of epoch ``epoch``.

    Warm-up counts the step as done (its first step already moves), the decay as started, so the last
    step of a cosine run is taken at a rate just above 0.
    """
    steps = max(steps, 1)
    if optim.lr_warmup_epochs > 0:
        warm = min(1.0, (epoch + (step + 1) / steps) / optim.lr_warmup_epochs)
    else:
        warm = 1.0
    if optim.lr_step_epochs > 0:
        decay = optim.lr_gamma ** (epoch // optim.lr_step_epochs)
    elif optim.lr_schedule == "cosine":
        progress = min(1.0, (epoch + step / steps) / optim.epochs)
        decay = 0.5 * (1.0 + math.cos(math.pi * progress))
    else:
        decay = 1.0
    return warm * decay


def set_lr(optimizer: torch.optim.Optimizer, factor: float) -> None:
    """Set every parameter group's rate to its base rate (its rate when first scheduled) × ``factor``."""
    for group in optimizer.param_groups:
        group["lr"] = group.setdefault("base_lr", group["lr"]) * factor
