"""`arl`: Asymmetric Representation Learning (Wei, Luo & Luo, ICCV 2025).

Follows shicaiwei123/ICCV2025-ARL `main_arl_variance.py` L107-162 (weights, loss), `models/backbone.py`
L71-86 and L325-347 (gradient scaling after the encoders), `models/fusion_modules.py` L41-52 (shared-head
unimodal logits); docs/methods.md#arl.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.head_summands import summand_cross_entropies, summand_logits
from core.strategies.unimodal_heads import unimodal_terms


@dataclass(frozen=True)
class ARLParams:
    """Defaults of the released CREMA-D script (``cramed_arl.sh``): γ = 4, T = 8, modulation from epoch 6
    (the code's ``epoch > start`` with start = 5); the entropy floor 0.3 is the code's constant."""

    gamma: float = field(default=4.0, metadata={"help": "γ, weight of the unimodal losses once ARL is on"})
    temperature: float = field(
        default=8.0, metadata={"help": "T, sharpness of the softmax that turns the scores into weights"}
    )
    start_epoch: int = field(
        default=6, metadata={"help": "first epoch (0-based) with re-weighted encoder gradients"}
    )
    entropy_floor: float = field(
        default=0.3, metadata={"help": "lower clamp of each modality's normalised prediction entropy"}
    )

    def __post_init__(self) -> None:
        check_param("arl", "gamma", self.gamma >= 0, "a weight >= 0", self.gamma)
        check_param("arl", "temperature", self.temperature > 0, "a number > 0", self.temperature)
        check_param("arl", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)
        check_param(
            "arl", "entropy_floor", 0 <= self.entropy_floor < 1, "a fraction in [0, 1)", self.entropy_floor
        )


def _kept_mean(values: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Per-modality mean over the rows where the modality is kept: values [B, M] → [M]."""
    return (values * keep).sum(0) / keep.sum(0).clamp_min(1)


@torch.no_grad()
def arl_weights(
    logits: torch.Tensor, keep: torch.Tensor, temperature: float, entropy_floor: float
) -> dict[str, torch.Tensor]:
    """The ARL coefficients from the unimodal logits u_m [B, M, C] of one batch.

    dependence d_m = Σ_c mean_b |u_m| normalised over m; variance proxy h_m = mean_b entropy(softmax u_m),
    normalised over m and clamped below at ``entropy_floor``; inverse-variance weights v_m ∝ 1/h_m (Σ v = 1);
    score s_m = (1 − d_m)·v_m (for two modalities the other modality's dependence times m's own v_m, as
    released); weights w = softmax(T·s). Encoder m's gradients are multiplied by 1 + w_m.
    """
    keep = keep.to(logits.dtype)
    dependence = _kept_mean(logits.abs().sum(-1), keep)
    dependence = dependence / dependence.sum().clamp_min(torch.finfo(dependence.dtype).tiny)
    probs = F.softmax(logits.float(), dim=-1)
    entropy = _kept_mean(-(probs * torch.log(probs + 1e-16)).sum(-1), keep.float())
    entropy = (entropy / entropy.sum().clamp_min(1e-16)).clamp_min(entropy_floor)
    inverse_variance = (1 / entropy) / (1 / entropy).sum()
    score = (1 - dependence.float()) * inverse_variance
    return {
        "dependence": dependence.float(),
        "inverse_variance": inverse_variance,
        "weight": F.softmax(temperature * score, dim=0),
    }


@STRATEGIES.register
class ARL(Strategy):
    """Loss = CE(fused) + γ Σ_m CE(u_m), u_m = W_m z_m + b the fused head applied to modality m alone (the
    released code's shared-parameter auxiliary heads, ``ConcatFusion_AUXI``); before ``start_epoch`` γ is 1
    and gradients are untouched. From ``start_epoch`` on every gradient reaching encoder m is multiplied by
    1 + w_m with w from :func:`arl_weights` (the code's ``GradScale`` on the encoder output, which is the
    same as scaling the encoder's parameter gradients). Statistics use the rows where m is kept.
    Logged: ``arl/weight/<m>``, ``arl/inverse_variance/<m>``, ``arl/dependence/<m>``."""

    name = "arl"
    summary = "Re-weight each encoder's gradients by its inverse prediction variance and its dependence."
    reshapes_gradients = True
    Params = ARLParams

    def __init__(self, params: ARLParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'arl' needs at least two modalities")

    def modulating(self, epoch: int) -> bool:
        return epoch >= self.params.start_epoch

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, batch = ctx.model, ctx.batch
        logits = summand_logits(model, ctx.output.features, batch.keep, bias_share=1.0)
        uni = summand_cross_entropies(ctx.output, logits, batch.labels, batch.keep)
        ce = F.cross_entropy(ctx.fused_logits, batch.labels)
        gamma = self.params.gamma if self.modulating(ctx.epoch) else 1.0
        stats = arl_weights(logits, batch.keep, self.params.temperature, self.params.entropy_floor)
        terms = {"loss": ce + gamma * uni.sum(), "loss/ce": ce.detach()}
        terms.update(unimodal_terms(self.modalities, uni))
        for key, values in stats.items():
            terms.update({f"arl/{key}/{m}": values[j] for j, m in enumerate(self.modalities)})
        return terms

    @torch.no_grad()
    def _scale(self, model: MultimodalModel, terms: dict[str, torch.Tensor]) -> None:
        for m in self.modalities:
            factor = 1 + terms[f"arl/weight/{m}"]
            for parameter in model.encoders[m].parameters():
                if parameter.grad is not None:
                    parameter.grad.mul_(factor.to(parameter.grad.dtype))

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        if self.modulating(ctx.epoch):
            self._scale(ctx.model, terms)
