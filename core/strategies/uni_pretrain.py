"""`uni-pretrain`: unimodal pre-training (as `ensemble`), then joint fine-tuning of the whole model."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.unimodal_heads import (
    tie_fused_head_to_unimodal_average,
    unimodal_cross_entropies,
    unimodal_terms,
)


@dataclass(frozen=True)
class UniPretrainParams:
    """In the MCR paper ("Uni-Pre Finetuned") each encoder is first trained unimodally to convergence in a
    separate run, then the multimodal model is fine-tuned from those encoders with the fused loss only
    (λ_uni = 0 in the released configs). Here both phases are one run: ``pretrain_epochs`` (3 suits small
    runs; use about half the schedule to approach the paper's practice), then fine-tuning."""

    pretrain_epochs: int = field(
        default=3, metadata={"help": "epochs of independent unimodal training before joint fine-tuning"}
    )
    lambda_uni: float = field(
        default=0.0, metadata={"help": "weight λ_uni of the unimodal-head cross-entropies during fine-tuning"}
    )

    def __post_init__(self) -> None:
        check_param(
            "uni-pretrain",
            "pretrain_epochs",
            self.pretrain_epochs >= 0,
            "an integer >= 0",
            self.pretrain_epochs,
        )
        check_param("uni-pretrain", "lambda_uni", self.lambda_uni >= 0, "a weight >= 0", self.lambda_uni)


@STRATEGIES.register
class UniPretrain(Strategy):
    """Epochs < pretrain_epochs: Σ_m CE(unimodal head m) with the fused head tied to the average of the
    unimodal heads (exactly `ensemble`); afterwards fused CE + λ_uni Σ_m CE(head m), starting from the tied
    head (i.e. from the ensemble's prediction)."""

    name = "uni-pretrain"
    summary = "Unimodal pre-training of each encoder, then joint fine-tuning."
    Params = UniPretrainParams

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return self._pretraining(epoch) or self.params.lambda_uni > 0

    def _pretraining(self, epoch: int) -> bool:
        return epoch < self.params.pretrain_epochs

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        uni = unimodal_cross_entropies(ctx.output, ctx.batch.labels, ctx.batch.keep)
        if self._pretraining(ctx.epoch):
            return {"loss": uni.sum(), **unimodal_terms(self.modalities, uni)}
        ce = F.cross_entropy(ctx.fused_logits, ctx.batch.labels)
        loss = ce + self.params.lambda_uni * uni.sum() if self.params.lambda_uni else ce
        return {"loss": loss, "loss/ce": ce.detach(), **unimodal_terms(self.modalities, uni)}

    def after_step(self, model: MultimodalModel, epoch: int) -> None:
        if self._pretraining(epoch):
            tie_fused_head_to_unimodal_average(model)

    def trains_fused_head(self, epoch: int) -> bool:
        return not self._pretraining(epoch)
