"""`opm`: On-the-fly Prediction Modulation (Wei et al., TPAMI 2024; docs/methods.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param

SCALE_FLOOR = 1e-5  # the released code's guard in 1 / (1 − θ + 1e-5)


@dataclass(frozen=True)
class OPMParams:
    """BalanceBenchmark's defaults (``configs/trainer_config.yaml`` L82-88): α = 0.5, p_exe = 0.7,
    q_base = 0.4, modulation over every epoch."""

    alpha: float = field(
        default=0.5, metadata={"help": "α, how much the discrepancy raises the drop probability"}
    )
    q_base: float = field(
        default=0.4, metadata={"help": "q_base, drop probability at the onset of dominance"}
    )
    p_exe: float = field(default=0.7, metadata={"help": "probability that a batch is modulated at all"})
    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with modulation"})
    end_epoch: int = field(default=-1, metadata={"help": "last epoch with modulation (-1: until the end)"})

    def __post_init__(self) -> None:
        check_param("opm", "alpha", self.alpha >= 0, "a number >= 0", self.alpha)
        check_param("opm", "q_base", 0 <= self.q_base <= 1, "a probability in [0, 1]", self.q_base)
        check_param("opm", "p_exe", 0 <= self.p_exe <= 1, "a probability in [0, 1]", self.p_exe)
        check_param("opm", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


def confidence_scores(
    model: MultimodalModel, features: torch.Tensor, labels: torch.Tensor, keep: torch.Tensor
) -> torch.Tensor:
    """s_m = Σ over the rows keeping m of softmax(W_m z_m + b/M)[y]: [M]."""
    logits = model.modality_logits(features) + model.fusion_bias / model.num_modalities
    probs = F.softmax(logits.float(), dim=-1)
    true_prob = probs.gather(-1, labels[:, None, None].expand(-1, probs.shape[1], 1)).squeeze(-1)
    return (true_prob * keep.float()).sum(0)


def drop_probabilities(scores: torch.Tensor, alpha: float, q_base: float) -> torch.Tensor:
    """q_m = clip(q_base·(1 + α·r_m), 0, 1) where r_m = tanh(relu(s_m / Σ_{k≠m} s_k − 1)) > 0, else 0."""
    others = scores.sum() - scores
    discrepancy = torch.tanh(F.relu(scores / (others + 1e-5) - 1))
    return torch.where(discrepancy > 0, (q_base * (1 + alpha * discrepancy)).clamp(0, 1), 0.0)


def drop_features(features: torch.Tensor, q: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep modality m of each row with probability 1 − q_m; kept features [B, M, d] are divided by
    1 − θ, θ = mean_m q_m. Returns (features, kept mask [B, M])."""
    kept = torch.bernoulli((1 - q).to(features.dtype).expand(features.shape[0], -1))
    return features * kept.unsqueeze(-1) / (1 - q.mean() + SCALE_FLOOR), kept


@STRATEGIES.register
class OPM(Strategy):
    """Fused cross-entropy on features where the dominant modality is dropped at random.

    Each step (BalanceBenchmark ``balancemm/trainer/OPM_trainer.py`` L161-203): confidence s_m as in
    :func:`confidence_scores`, drop probability q_m from :func:`drop_probabilities`; with probability
    p_exe the batch is modulated by :func:`drop_features` (Bernoulli per row and modality,
    ``OPM_trainer.py`` L22-49; θ is the mean because all modalities have the same feature width), rows
    that lost every modality leave the loss, and the fused head is evaluated on the kept features. The
    unimodal heads stay linear probes. As in the code, the denominator of the discrepancy is the SUM of the other modalities' scores (the code's three-modality
    branch; the same as the other's score for two). Logged: ``opm/drop_prob/<m>`` and ``opm/modulated``."""

    name = "opm"
    summary = "Drop the dominant modality's features at random, with a probability from its confidence lead."
    Params = OPMParams

    def __init__(self, params: OPMParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'opm' needs at least two modalities")

    def modulating(self, epoch: int) -> bool:
        return self.params.start_epoch <= epoch and (
            self.params.end_epoch < 0 or epoch <= self.params.end_epoch
        )

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, labels, keep = ctx.model, ctx.batch.labels, ctx.batch.keep
        features = model.mask_features(ctx.output.features, keep)
        with torch.no_grad():
            q = drop_probabilities(
                confidence_scores(model, features, labels, keep), self.params.alpha, self.params.q_base
            )
        modulated = self.modulating(ctx.epoch) and bool(torch.rand(()) < self.params.p_exe)
        if modulated:
            scaled, kept = drop_features(features, q)
            rows = kept.sum(1) > 0
            logits, labels = model.fuse(scaled[rows]), labels[rows]
            ce = F.cross_entropy(logits, labels) if len(labels) else logits.sum() * 0
        else:
            ce = F.cross_entropy(ctx.fused_logits, labels)
        terms = {"loss": ce, "loss/ce": ce.detach(), "opm/modulated": torch.tensor(float(modulated))}
        terms.update({f"opm/drop_prob/{m}": q[j] for j, m in enumerate(self.modalities)})
        return terms
