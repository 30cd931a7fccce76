"""Held-out evaluation of a model on one split: losses, accuracies and macro-F1 of the fused and unimodal
heads, MI terms."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from core.data.batches import iterate_batches
from core.data.tensors import PreparedData
from core.models.multimodal import ModelOutput, MultimodalModel
from core.training.device import autocast
from core.training.metrics import add_counts, f1_metrics, head_counts


@torch.no_grad()
def evaluate_split(
    model: MultimodalModel,
    data: PreparedData,
    index: np.ndarray,
    batch_size: int,
    device: torch.device,
    precision: str,
    split: str,
    label_entropy: float,
    accumulator_type: type,
    fused: Callable[[ModelOutput], torch.Tensor] | None = None,
) -> dict[str, float]:
    """Metrics prefixed by ``split/``: loss, acc, f1, loss/<m>, acc/<m>, f1/<m> and the MI terms ``mi/...``
    (f1: macro-F1, see :mod:`core.training.metrics`). ``fused`` gives the fused prediction from a forward
    pass (default: the model's fused logits), e.g. a strategy's test-time fusion."""
    was_training = model.training
    model.eval()
    accumulator = accumulator_type(model, label_entropy)
    total = {"loss": 0.0, "acc": 0.0, **{f"loss/{m}": 0.0 for m in model.modalities}}
    total.update({f"acc/{m}": 0.0 for m in model.modalities})
    counts: dict[str, np.ndarray] = {}
    for batch in iterate_batches(data, index, batch_size, device):
        with autocast(device, precision):
            output = model(batch.inputs)
        logits = (output.logits if fused is None else fused(output)).float()
        unimodal = output.unimodal_logits.float()
        total["loss"] += float(F.cross_entropy(logits, batch.labels, reduction="sum"))
        total["acc"] += float((logits.argmax(-1) == batch.labels).sum())
        for j, m in enumerate(model.modalities):
            total[f"loss/{m}"] += float(F.cross_entropy(unimodal[:, j], batch.labels, reduction="sum"))
            total[f"acc/{m}"] += float((unimodal[:, j].argmax(-1) == batch.labels).sum())
        add_counts(counts, head_counts(logits, unimodal, batch.labels, model.modalities))
        accumulator.update(output, batch.labels)
    model.train(was_training)
    metrics = {f"{split}/{k}": v / len(index) for k, v in total.items()}
    metrics.update({f"{split}/{k}": v for k, v in f1_metrics(counts).items()})
    metrics.update({f"{split}/{k}": v for k, v in accumulator.result().items()})
    return metrics
