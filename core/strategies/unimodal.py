"""`unimodal`: train one modality alone; the others are absent from the fused prediction and never change."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy


@dataclass(frozen=True)
class UnimodalParams:
    """The modality to train; empty selects the model's first modality."""

    modality: str = field(default="", metadata={"help": "modality to train (empty: the first modality)"})


@STRATEGIES.register
class Unimodal(Strategy):
    """Fused cross-entropy with every other modality's feature zeroed, on the rows where the modality is kept.

    The other encoders get no gradient at all (their ``grad`` stays ``None``, so even weight decay leaves
    them untouched) and their fusion-weight blocks are held at zero, so the fused prediction — and hence
    valuation — depends on the trained modality only.
    """

    name = "unimodal"
    summary = "Train a single modality; the others are masked out of the fused prediction."
    Params = UnimodalParams

    def __init__(self, params: UnimodalParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        chosen = params.modality or self.modalities[0]
        if chosen not in self.modalities:
            raise ValueError(
                f"strategy 'unimodal': parameter 'modality' is {chosen!r}, which is not one of the "
                f"model's modalities {self.modalities}"
            )
        self.index = self.modalities.index(chosen)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        only = torch.zeros_like(ctx.batch.keep)
        only[:, self.index] = ctx.batch.keep[:, self.index]
        logits = ctx.model.fuse(ctx.model.mask_features(ctx.output.features, only))
        per_row = F.cross_entropy(logits, ctx.batch.labels, reduction="none")
        ce = (per_row * only[:, self.index]).sum() / only[:, self.index].sum().clamp_min(1)
        return {"loss": ce, "loss/ce": ce.detach()}

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        for j, m in enumerate(self.modalities):
            if j != self.index:
                for parameter in ctx.model.encoders[m].parameters():
                    parameter.grad = None

    @torch.no_grad()
    def after_step(self, model: MultimodalModel, epoch: int) -> None:
        others = [j for j in range(len(self.modalities)) if j != self.index]
        model.fusion.weight.view(model.num_classes, model.num_modalities, model.feature_dim)[:, others] = 0.0
