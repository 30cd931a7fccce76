"""`reconboost`: alternating modality boosting with reconcilement (Hua et al., ICML 2024; docs/methods.md#reconboost).

Follows GeWu-Lab/BalanceBenchmark ``balancemm/trainer/ReconBoost_trainer.py`` (boosting loss L336-345,
ensemble step L366-370; defaults ``configs/trainer_config.yaml`` L70-76) and the stage cycle of kkontras/MCR
``agents/general_agent/helpers/Bias_Infusion.py`` (``Bias_Infusion_ReconBoost.get_stage``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param, drop_gradients


@dataclass(frozen=True)
class ReconBoostParams:
    """w1 = 5, w2 = 1, α = 0.5, one epoch per stage: BalanceBenchmark's defaults (``T_epochs`` = 1)."""

    weight1: float = field(default=5.0, metadata={"help": "w1, weight of the learner's own cross-entropy"})
    weight2: float = field(
        default=1.0, metadata={"help": "w2, weight of the reconcilement term p_others[y]·log p_m[y]"}
    )
    alpha: float = field(
        default=0.5, metadata={"help": "α, weight of the rectification MSE to the previous modality's learner"}
    )
    stage_epochs: int = field(default=1, metadata={"help": "epochs each modality is boosted in turn"})
    ensemble_epochs: int = field(default=1, metadata={"help": "epochs of joint fine-tuning after each modality stage"})

    def __post_init__(self) -> None:
        for key in ("weight1", "weight2", "alpha"):
            check_param("reconboost", key, getattr(self, key) >= 0, "a number >= 0", getattr(self, key))
        check_param("reconboost", "stage_epochs", self.stage_epochs >= 1, "an integer >= 1", self.stage_epochs)
        check_param(
            "reconboost", "ensemble_epochs", self.ensemble_epochs >= 0, "an integer >= 0", self.ensemble_epochs
        )


def boosting_loss(
    learner: torch.Tensor, others: torch.Tensor, labels: torch.Tensor, weight1: float, weight2: float
) -> torch.Tensor:
    """Per-row ReconBoost loss of the learner's logits [B, C] given the other modalities' ensemble [B, C]:
    (−w1·log p_m[y] + w2·p_others[y]·log p_m[y]) / C, p_others detached (the reconcilement term: rows the
    others already get right weigh less). The 1/C is the released code's mean over the one-hot classes."""
    log_p = F.log_softmax(learner, dim=-1).gather(-1, labels[:, None]).squeeze(-1)
    p_others = F.softmax(others.detach(), dim=-1).gather(-1, labels[:, None]).squeeze(-1)
    return (-weight1 * log_p + weight2 * p_others * log_p) / learner.shape[-1]


@STRATEGIES.register
class ReconBoost(Strategy):
    """Epochs cycle through stages: for each modality m in order, ``stage_epochs`` boosting epochs, then
    ``ensemble_epochs`` of CE(fused). A boosting epoch trains only learner m, u_m = W_m z_m + b/M (the fused
    head's part for m), with :func:`boosting_loss` against the ensemble of the others, the fused logits with m
    absent (detached), plus α·MSE(softmax u_m, softmax u_prev) to the previous modality's learner (detached)
    from the second stage on. The other encoders' gradients are dropped (the released code turns their
    ``requires_grad`` off); the other parts of the fused head get zero gradients. Rows where m is absent (re-sampled copies) are left out. Any M ≥ 2 works
    (the released trainers cycle over all their modalities).
    Logged: ``reconboost/stage`` (the boosted modality's index, −1 in ensemble epochs), ``loss/boost``,
    ``loss/rectify``."""

    name = "reconboost"
    reshapes_gradients = True
    summary = "Boost one modality at a time against the others' ensemble (reconcilement), with joint epochs."
    Params = ReconBoostParams

    def __init__(self, params: ReconBoostParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'reconboost' needs at least two modalities")

    def stage(self, epoch: int) -> int:
        """Index of the modality boosted in ``epoch``, or −1 for an ensemble epoch."""
        period = self.params.stage_epochs + self.params.ensemble_epochs
        position = epoch % (period * len(self.modalities))
        modality, offset = divmod(position, period)
        return modality if offset < self.params.stage_epochs else -1

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, labels, keep = ctx.model, ctx.batch.labels, ctx.batch.keep
        m = self.stage(ctx.epoch)
        stage = torch.tensor(float(m))
        if m < 0:
            ce = F.cross_entropy(ctx.fused_logits, labels)
            return {"loss": ce, "loss/ce": ce.detach(), "reconboost/stage": stage}
        rows = keep[:, m] > 0
        features = model.mask_features(ctx.output.features, keep)
        share = model.fusion.bias / model.num_modalities
        learner = features[rows, m] @ model.modality_weights()[m].T + share  # u_m: the only part with gradients
        with torch.no_grad():
            members = torch.ones(1, model.num_modalities, device=keep.device)
            members[0, m] = 0
            others = model.coalition_logits(features[rows], members)[:, 0]
            previous = (m - 1) % model.num_modalities
            earlier = features[rows, previous] @ model.modality_weights()[previous].T + share
        boost = boosting_loss(learner, others, labels[rows], self.params.weight1, self.params.weight2)
        boost = boost.mean() if len(boost) else learner.sum() * 0
        rectify = boost.new_zeros(())
        if ctx.epoch >= self.params.stage_epochs and self.params.alpha > 0 and len(learner):
            rectify = F.mse_loss(F.softmax(learner, dim=-1), F.softmax(earlier, dim=-1))
        loss = boost + self.params.alpha * rectify
        return {"loss": loss, "loss/boost": boost.detach(), "loss/rectify": rectify.detach(), "reconboost/stage": stage}

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        m = self.stage(ctx.epoch)
        if m >= 0:
            for other in self.modalities[:m] + self.modalities[m + 1 :]:
                drop_gradients(ctx.model.encoders[other])
