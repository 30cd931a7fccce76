"""`mbsd`: self-distillation between the unimodal predictions, weighted per sample (MBSD, 2023).

Follows BalanceBenchmark `balancemm/trainer/MBSD_trainer.py` L119-159 (two modalities) and L160-224 (three);
docs/methods.md#mbsd.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.head_summands import summand_cross_entropies, summand_logits
from core.strategies.unimodal_heads import unimodal_terms


@dataclass(frozen=True)
class MBSDParams:
    """BalanceBenchmark defaults: the distillation terms on over all epochs, with weight 1 each."""

    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with the MBSD terms"})
    end_epoch: int = field(default=-1, metadata={"help": "last epoch with the MBSD terms (-1: to the end)"})

    def __post_init__(self) -> None:
        check_param("mbsd", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


def pair_terms(
    logits_i: torch.Tensor, logits_j: torch.Tensor, labels: torch.Tensor, rows: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(L_RS, L_KL) of one modality pair from their unimodal logits [B, C] over the rows ``rows`` [B] (0/1).

    p = softmax true-class probabilities, p_s = max(p_i, p_j), p_w = min(p_i, p_j); weight w_b = p_s − p_w
    when either modality predicts row b correctly, else 0. L_RS = Σ_b w_b · mean_c (u_i − u_j)² / B and
    L_KL = Σ_b w_b · p_w (log p_w − p_s) / B: the trainer's ``F.kl_div(p_s, p_w)``, which takes p_s as a
    log-probability. Nothing is detached, as in the trainer.
    """
    probs_i, probs_j = F.softmax(logits_i, dim=-1), F.softmax(logits_j, dim=-1)
    true_i = probs_i.gather(-1, labels[:, None]).squeeze(-1)
    true_j = probs_j.gather(-1, labels[:, None]).squeeze(-1)
    strong, weak = torch.maximum(true_i, true_j), torch.minimum(true_i, true_j)
    correct = (probs_i.argmax(-1) == labels) | (probs_j.argmax(-1) == labels)
    weight = (strong - weak) * correct.to(strong.dtype) * rows
    count = rows.sum().clamp_min(1)
    regression = (weight * (logits_i - logits_j).square().mean(-1)).sum() / count
    divergence = (weight * F.kl_div(strong, weak, reduction="none")).sum() / count
    return regression, divergence


@STRATEGIES.register
class MBSD(Strategy):
    """Loss = CE(fused) + Σ_m CE(u_m) + L_RS + L_KL with u_m = W_m z_m + b/M (the fused head's per-modality
    part, as BalanceBenchmark's concat fusion) and L_RS, L_KL of :func:`pair_terms` averaged over all modality
    pairs (rows where both are kept). Outside its epochs: plain fused CE. The trainer's three-modality branch
    takes L_RS on probabilities; ours always uses the logits, as its two-modality branch does.
    Logged: ``mbsd/rs``, ``mbsd/kl``."""

    name = "mbsd"
    summary = "Fused + unimodal losses; weighted pairwise distillation from the stronger unimodal prediction."
    Params = MBSDParams

    def __init__(self, params: MBSDParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'mbsd' needs at least two modalities")

    def modulating(self, epoch: int) -> bool:
        return self.params.start_epoch <= epoch and (
            self.params.end_epoch < 0 or epoch <= self.params.end_epoch
        )

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, batch = ctx.model, ctx.batch
        ce = F.cross_entropy(ctx.fused_logits, batch.labels)
        if not self.modulating(ctx.epoch):
            return {"loss": ce, "loss/ce": ce.detach()}
        keep = batch.keep.to(ctx.output.features.dtype)
        logits = summand_logits(model, ctx.output.features, keep, 1 / model.num_modalities)
        uni = summand_cross_entropies(ctx.output, logits, batch.labels, keep)
        pairs = list(combinations(range(len(self.modalities)), 2))
        labels = batch.labels
        rs, kl = zip(
            *(pair_terms(logits[:, i], logits[:, j], labels, keep[:, i] * keep[:, j]) for i, j in pairs),
            strict=True,
        )
        regression, divergence = sum(rs) / len(pairs), sum(kl) / len(pairs)
        terms = {
            "loss": ce + uni.sum() + regression + divergence,
            "loss/ce": ce.detach(),
            **unimodal_terms(self.modalities, uni),
        }
        terms["mbsd/rs"], terms["mbsd/kl"] = regression.detach(), divergence.detach()
        return terms
