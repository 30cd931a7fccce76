"""A tiny two- or three-modality vector model, random batches, and one optimisation step as the engine runs it."""

from __future__ import annotations

import torch

from core.data.batches import Batch
from core.models.multimodal import MultimodalModel, build_model
from core.strategies.base import StepContext, Strategy

NUM_CLASSES = 3


def tiny_model(modalities: tuple[str, ...] = ("a", "b"), seed: int = 0) -> MultimodalModel:
    torch.manual_seed(seed)
    return build_model(
        {m: "vector" for m in modalities},
        {m: (6,) for m in modalities},
        num_classes=NUM_CLASSES,
        feature_dim=8,
    )


def tiny_batch(
    model: MultimodalModel, size: int = 16, seed: int = 1, keep: torch.Tensor | None = None
) -> Batch:
    generator = torch.Generator().manual_seed(seed)
    inputs = {m: torch.randn(size, 6, generator=generator) for m in model.modalities}
    labels = torch.randint(0, NUM_CLASSES, (size,), generator=generator)
    keep = torch.ones(size, model.num_modalities) if keep is None else keep
    return Batch(inputs, labels, keep, torch.arange(size))


def step_context(model: MultimodalModel, batch: Batch, epoch: int = 0, step: int = 0) -> StepContext:
    return StepContext(model, batch, model(batch.inputs, keep=batch.keep), epoch, step)


def train_step(
    strategy: Strategy, model: MultimodalModel, batch: Batch, optimizer: torch.optim.Optimizer, epoch: int = 0
) -> dict[str, torch.Tensor]:
    """forward → loss terms → zero_grad → backward → optimiser step → after_step, as the engine does."""
    ctx = step_context(model, batch, epoch)
    terms = strategy.loss_terms(ctx)
    optimizer.zero_grad(set_to_none=True)
    strategy.backward(ctx, terms)
    optimizer.step()
    strategy.after_step(model, epoch)
    return terms


def gradients(model: MultimodalModel, prefix: str) -> dict[str, torch.Tensor]:
    """Copies of the current gradients of the parameters whose name starts with ``prefix``."""
    return {
        name: p.grad.detach().clone()
        for name, p in model.named_parameters()
        if name.startswith(prefix) and p.grad is not None
    }
