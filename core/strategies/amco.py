"""`amco`: Adaptive Mask Co-Optimization (Zhou, Liang, Zheng, Xuan & Kumada, ICASSP 2023).

Follows BalanceBenchmark `balancemm/trainer/AMCo_trainer.py` L72-83 (mask ratio schedule), L122-159 (loss,
dominance test) and `balancemm/models/avclassify_model.py` L326-384 (masked fusion); docs/methods.md#amco.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.head_summands import summand_cross_entropies
from core.strategies.unimodal_heads import unimodal_terms


@dataclass(frozen=True)
class AMCoParams:
    """BalanceBenchmark defaults (``configs/trainer_config.yaml``, AMCo): σ = 0.5, ε = 0.3, modulation over
    all epochs; ``growth`` 0.1 is the trainer's l_t increment per step (times the epoch index)."""

    sigma: float = field(
        default=0.5, metadata={"help": "σ, a modality is dominant when its softmax share exceeds this"}
    )
    eps: float = field(default=0.3, metadata={"help": "ε, l_t at which the mask ratio reaches 1"})
    growth: float = field(
        default=0.1, metadata={"help": "l_t grows by growth × epoch after every step (reset each epoch)"}
    )
    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with masking"})
    end_epoch: int = field(default=-1, metadata={"help": "last epoch with masking (-1: until the end)"})

    def __post_init__(self) -> None:
        check_param("amco", "sigma", 0 < self.sigma < 1, "a fraction in (0, 1)", self.sigma)
        check_param("amco", "eps", self.eps > 0, "a number > 0", self.eps)
        check_param("amco", "growth", self.growth >= 0, "a number >= 0", self.growth)
        check_param("amco", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


def mask_ratio(step: int, epoch: int, eps: float, growth: float) -> float:
    """p_t = sin(π/2 · min(ε, l_t)/ε) with l_t = step · growth · epoch (the trainer's schedule)."""
    level = step * growth * epoch
    return math.sin(math.pi / 2 * min(eps, level) / eps)


def modality_shares(summands: torch.Tensor) -> torch.Tensor:
    """Share of each modality in the softmax over all modalities' logits concatenated: [B, M, C] → [M]."""
    probs = F.softmax(summands.flatten(1).float(), dim=-1).view_as(summands)
    return probs.sum(-1).mean(0)


@STRATEGIES.register
class AMCo(Strategy):
    """Masking epochs: the modality found dominant at the previous step (share of the joint softmax > σ;
    none at the first step of an epoch) has int(p_t·d) of its d feature dimensions, drawn uniformly for the
    batch, zeroed in the fused head's input, p_t = :func:`mask_ratio`. Loss = CE(fused) + Σ_m CE(u_m) with
    u_m = W_m z̃_m + b/M on the masked features z̃; the shares of this step's u decide the next step's
    dominant modality. Other epochs: plain fused CE. BalanceBenchmark masks p_t·C entries of the dominant
    modality's logit summand instead of its features and adds a C×C layer after the fused head; see
    docs/methods.md#amco. Logged: ``amco/share/<m>``, ``amco/mask_ratio`` (0 when nothing is masked)."""

    name = "amco"
    summary = "Mask a growing share of the dominant modality's features; fused + unimodal losses."
    Params = AMCoParams

    def __init__(self, params: AMCoParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'amco' needs at least two modalities")
        self.dominant: int | None = None
        self._epoch: int | None = None

    def modulating(self, epoch: int) -> bool:
        return self.params.start_epoch <= epoch and (
            self.params.end_epoch < 0 or epoch <= self.params.end_epoch
        )

    def feature_mask(self, model: MultimodalModel, ratio: float, device: torch.device) -> torch.Tensor:
        """[M, d] ones, with int(ratio·d) random zeros in the dominant modality's row."""
        mask = torch.ones(model.num_modalities, model.feature_dim, device=device)
        if self.dominant is not None:
            dropped = torch.randperm(model.feature_dim, device=device)[: int(ratio * model.feature_dim)]
            mask[self.dominant, dropped] = 0
        return mask

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, batch = ctx.model, ctx.batch
        if ctx.epoch != self._epoch:
            self._epoch, self.dominant = ctx.epoch, None
        if not self.modulating(ctx.epoch):
            ce = F.cross_entropy(ctx.fused_logits, batch.labels)
            return {"loss": ce, "loss/ce": ce.detach()}
        ratio = mask_ratio(ctx.step, ctx.epoch, self.params.eps, self.params.growth)
        mask = self.feature_mask(model, ratio, ctx.output.features.device).to(ctx.output.features.dtype)
        kept = model.mask_features(ctx.output.features, batch.keep)
        fused = ctx.fused_logits - model.modality_logits(kept * (1 - mask)).sum(1)
        summands = model.modality_logits(kept * mask) + model.fusion.bias / model.num_modalities
        uni = summand_cross_entropies(ctx.output, summands, batch.labels, batch.keep)
        ce = F.cross_entropy(fused, batch.labels)
        with torch.no_grad():
            shares = modality_shares(summands)
        terms = {"loss": ce + uni.sum(), "loss/ce": ce.detach(), **unimodal_terms(self.modalities, uni)}
        terms["amco/mask_ratio"] = torch.tensor(ratio if self.dominant is not None else 0.0)
        terms.update({f"amco/share/{m}": shares[j] for j, m in enumerate(self.modalities)})
        top = int(shares.argmax())
        self.dominant = top if float(shares[top]) > self.params.sigma else None
        return terms
