"""`multi-loss`: fused cross-entropy plus the unimodal heads' cross-entropies (the multitask baseline)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.unimodal_heads import unimodal_cross_entropies, unimodal_terms


@dataclass(frozen=True)
class MultiLossParams:
    """λ_uni = 1 (equal weights, the usual multi-loss baseline, e.g. the MCR paper's "Multi-Loss")."""

    lambda_uni: float = field(
        default=1.0, metadata={"help": "weight λ_uni of the summed unimodal-head cross-entropies"}
    )

    def __post_init__(self) -> None:
        check_param("multi-loss", "lambda_uni", self.lambda_uni >= 0, "a weight >= 0", self.lambda_uni)


@STRATEGIES.register
class MultiLoss(Strategy):
    name = "multi-loss"
    summary = "Fused cross-entropy + λ_uni · Σ_m unimodal-head cross-entropy."
    Params = MultiLossParams

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return self.params.lambda_uni > 0

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        ce = F.cross_entropy(ctx.fused_logits, ctx.batch.labels)
        uni = unimodal_cross_entropies(ctx.output, ctx.batch.labels, ctx.batch.keep)
        loss = ce + self.params.lambda_uni * uni.sum()
        return {"loss": loss, "loss/ce": ce.detach(), **unimodal_terms(self.modalities, uni)}
