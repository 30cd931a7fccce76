"""`mlb`: Multi-Loss Balanced (Kontras et al., BMVC 2024; docs/methods.md#mlb).

Follows kkontras/MCR ``agents/general_agent/helpers/Bias_Infusion.py``, classes ``Bias_Infusion_MLB``
(two modalities) and ``Bias_Infusion_MLB_3d`` (three), ``tanh_mode`` "2".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.unimodal_heads import unimodal_cross_entropies, unimodal_terms


@dataclass(frozen=True)
class MLBParams:
    """α = 0.5 and β = 10: the MCR paper's MLB setting on CREMA-D (the released code has no default for
    either). Modulation over all epochs by default, as the released configs (``starting_epoch`` 0)."""

    alpha: float = field(default=0.5, metadata={"help": "α, steepness of the tanh in the coefficient"})
    beta: float = field(
        default=10.0, metadata={"help": "β (tanh_mode_beta): the largest boost 1 + (β−1)·tanh(…) of a lagging modality"}
    )
    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with modulation"})
    end_epoch: int = field(default=-1, metadata={"help": "last epoch with modulation (-1: until the end)"})

    def __post_init__(self) -> None:
        check_param("mlb", "alpha", self.alpha >= 0, "a number >= 0", self.alpha)
        check_param("mlb", "beta", self.beta >= 1, "a number >= 1", self.beta)
        check_param("mlb", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


def mlb_coefficients(scores: torch.Tensor, alpha: float, beta: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(ρ, k) from each modality's mean true-class confidence s [M]: ρ_m = mean_{j≠m} s_j / s_m and
    k_m = 1 + (β−1)·tanh(α(ρ_m − 1)) where ρ_m > 1 (a lagging modality is sped up), else 1 + tanh(α(ρ_m − 1))
    (a leading one is slowed down, never below 0)."""
    others = (scores.sum() - scores) / (len(scores) - 1)
    ratio = others / scores.clamp_min(torch.finfo(scores.dtype).tiny)
    shaped = torch.tanh(alpha * (ratio - 1))
    return ratio, torch.where(ratio > 1, 1 + (beta - 1) * shaped, 1 + shaped)


@STRATEGIES.register
class MLB(Strategy):
    """Loss = CE(fused) + Σ_m CE(unimodal head m), one backward; then the gradients of encoder m and of the
    weight of unimodal head m are multiplied by k_m (:func:`mlb_coefficients`), where s_m is the batch mean
    of softmax(head m)[y] over the rows where m is kept. With M = 3 the ratio compares each modality with
    the mean of the other two, as ``Bias_Infusion_MLB_3d``; any M ≥ 2 works the same way.
    Logged: ``mlb/ratio/<m>`` and the applied ``mlb/coef/<m>`` (1 outside the modulation epochs)."""

    name = "mlb"
    summary = "Multi-loss; each encoder's gradients scaled by a tanh of its confidence lag behind the others."
    reshapes_gradients = True
    Params = MLBParams

    def __init__(self, params: MLBParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'mlb' needs at least two modalities")

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return True

    def modulating(self, epoch: int) -> bool:
        end = self.params.end_epoch
        return self.params.start_epoch <= epoch and (end < 0 or epoch <= end)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        labels, keep = ctx.batch.labels, ctx.batch.keep
        ce = F.cross_entropy(ctx.fused_logits, labels)
        uni = unimodal_cross_entropies(ctx.output, labels, keep)
        with torch.no_grad():
            probs = F.softmax(ctx.output.unimodal_logits.float(), dim=-1)
            true = probs.gather(-1, labels[:, None, None].expand(-1, probs.shape[1], 1)).squeeze(-1)
            kept = keep.float()
            scores = (true * kept).sum(0) / kept.sum(0).clamp_min(1)
            ratio, coefficient = mlb_coefficients(scores, self.params.alpha, self.params.beta)
            if not self.modulating(ctx.epoch):
                coefficient = torch.ones_like(coefficient)
        terms = {"loss": ce + uni.sum(), "loss/ce": ce.detach(), **unimodal_terms(self.modalities, uni)}
        for j, m in enumerate(self.modalities):
            terms[f"mlb/ratio/{m}"] = ratio[j]
            terms[f"mlb/coef/{m}"] = coefficient[j]
        return terms

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        model = ctx.model
        with torch.no_grad():
            for j, m in enumerate(self.modalities):
                coefficient = terms[f"mlb/coef/{m}"]
                scaled = [*model.encoders[m].parameters(), model.linear_heads()[j].weight]
                for parameter in scaled:
                    if parameter.grad is not None:
                        parameter.grad.mul_(coefficient.to(parameter.grad.dtype))
