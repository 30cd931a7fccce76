"""`ensemble`: independently trained unimodal models whose averaged logits are the fused prediction."""

from __future__ import annotations

import torch

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy
from core.strategies.unimodal_heads import (
    tie_fused_head_to_unimodal_average,
    unimodal_cross_entropies,
    unimodal_terms,
)


@STRATEGIES.register
class Ensemble(Strategy):
    """Loss Σ_m CE(unimodal head m): each encoder learns only from its own head. After every step the fused
    head is set to W = [W_1/M, …, W_M/M], b = mean b_m, so the fused logits are exactly the mean of the
    unimodal logits and valuation of the fused prediction still applies."""

    name = "ensemble"
    summary = "Independent unimodal models; fused prediction = average of the unimodal logits."

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return True

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        uni = unimodal_cross_entropies(ctx.output, ctx.batch.labels, ctx.batch.keep)
        return {"loss": uni.sum(), **unimodal_terms(self.modalities, uni)}

    def after_step(self, model: MultimodalModel, epoch: int) -> None:
        tie_fused_head_to_unimodal_average(model)

    def trains_fused_head(self, epoch: int) -> bool:
        return False
