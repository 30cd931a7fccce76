"""Pieces of a run's setup: seeding, the optimiser, the model's cost figures."""

from __future__ import annotations

import random

import numpy as np
import torch

from core.config import RunConfig
from core.data.batches import iterate_batches
from core.data.tensors import PreparedData
from core.models.multimodal import MultimodalModel
from core.training.metrics import flops_per_sample, parameter_count


def model_costs(
    model: MultimodalModel,
    extras: torch.nn.Module,
    data: PreparedData,
    train_index: np.ndarray,
    batch_size: int,
    device: torch.device,
) -> dict[str, float]:
    """Parameters of the model and the strategy's extra modules, and the model's forward FLOPs per sample
    on the first batch of training rows (see :mod:`core.training.metrics`)."""
    batch = next(iter(iterate_batches(data, train_index[:batch_size], batch_size, device)))
    return {
        "model/params": float(parameter_count(model, extras)),
        "model/flops_per_sample": flops_per_sample(model, batch.inputs),
    }


def make_optimizer(cfg: RunConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD as configured."""
    o = cfg.optim
    if o.optimizer == "adam":
        return torch.optim.Adam(params, lr=o.lr, weight_decay=o.weight_decay)
    if o.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=o.lr, weight_decay=o.weight_decay)
    if o.optimizer == "sgd":
        return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay)
    raise ValueError(f"optim.optimizer must be adam, adamw or sgd, got {o.optimizer!r}")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch so a CPU run is repeatable."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
