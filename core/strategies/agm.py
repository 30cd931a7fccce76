"""`agm`: Adaptive Gradient Modulation (Li et al., ICCV 2023; docs/methods.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param

LOSS_CAP = -math.log(1e-8)  # the code scores a true-class probability below 1e-8 as −log(1e-8)


@dataclass(frozen=True)
class AGMParams:
    """α = 1 and the gap cap 10 are the authors' defaults (``AGM_ICCV2023`` ``utils/config.py`` L76,
    ``run/CREMAD_main.py`` L151); BalanceBenchmark uses α = 0.1, cap 7 and clips the gradient norm to 5
    when a fusion-weight gradient leaves [−5, 5] (``clip_norm`` = 5; 0 here, as in the authors' code)."""

    alpha: float = field(default=1.0, metadata={"help": "α, strength of the modulation exp(α·gap)"})
    cap: float = field(
        default=10.0, metadata={"help": "upper cap on the gap (optimal ratio − current ratio)"}
    )
    clip_norm: float = field(
        default=0.0,
        metadata={"help": "clip the gradient norm to this when a fusion-weight gradient exceeds it (0: off)"},
    )

    def __post_init__(self) -> None:
        check_param("agm", "alpha", self.alpha >= 0, "a number >= 0", self.alpha)
        check_param("agm", "cap", self.cap > 0, "a number > 0", self.cap)
        check_param("agm", "clip_norm", self.clip_norm >= 0, "a number >= 0 (0: off)", self.clip_norm)


class RunningScores(nn.Module):
    """The running mean of every modality's score over all steps so far (a buffer, so it is checkpointed)."""

    mean: torch.Tensor
    steps: torch.Tensor

    def __init__(self, num_modalities: int) -> None:
        super().__init__()
        self.register_buffer("mean", torch.zeros(num_modalities))
        self.register_buffer("steps", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def update(self, scores: torch.Tensor) -> None:
        self.steps += 1
        self.mean += (scores.to(self.mean) - self.mean) / self.steps


def modality_scores(
    model: MultimodalModel, features: torch.Tensor, labels: torch.Tensor, keep: torch.Tensor
) -> torch.Tensor:
    """Score of modality m: mean over the rows keeping m of −log softmax(φ_m)[y], capped at −log 1e-8, where
    φ_m is m's Shapley contribution to the fused logits. The fusion head is additive over modalities, so
    φ_m = v(S ∪ {m}) − v(S) for every coalition S: exactly the summand W_m z_m."""
    contribution = model.modality_logits(features).float()
    loss = F.cross_entropy(
        contribution.transpose(1, 2), labels[:, None].expand(-1, contribution.shape[1]), reduction="none"
    ).clamp(max=LOSS_CAP)
    keep = keep.to(loss.dtype)
    return (loss * keep).sum(0) / keep.sum(0).clamp_min(1)


def coefficients(scores: torch.Tensor, running: torch.Tensor, alpha: float, cap: float) -> torch.Tensor:
    """k_m = exp(α · min(r*_m − r_m, cap)) with r_m = exp(M/(M−1) · (mean_k s_k − s_m)) for this step's scores
    and r*_m the same for the running means: a modality doing better than it usually does relative to
    the others (r_m > r*_m) is slowed (k_m < 1), one doing worse is sped up."""
    factor = len(scores) / (len(scores) - 1)
    ratio = torch.exp(factor * (scores.mean() - scores))
    optimal = torch.exp(factor * (running.mean() - running))
    return torch.exp(alpha * torch.clamp(optimal - ratio, max=cap))


@STRATEGIES.register
class AGM(Strategy):
    """Fused cross-entropy; encoder m's gradients are multiplied by the coefficient k_m of
    :func:`coefficients`, from the scores of :func:`modality_scores` and their running mean over all
    previous steps (updated after k is computed). Follows BalanceBenchmark
    ``balancemm/trainer/AGM_trainer.py`` L221-271 (Shapley contributions) and L535-585 (scores, ratios,
    coefficients, scaled gradients) with the sign of the authors' ``run/CREMAD_main.py`` L145-152
    (BalanceBenchmark's ratio has the opposite sign, which would slow the weaker modality). Differences:
    φ_m comes from the training pass (the code re-runs the model in eval mode); like the code, only
    encoder tensors with more than one dimension are scaled (biases and norms keep their gradient).
    Logged: ``agm/score/<m>``, ``agm/coef/<m>``."""

    name = "agm"
    summary = "Scale each encoder's gradients by how its Shapley-contribution loss compares with its history."
    reshapes_gradients = True
    Params = AGMParams

    def __init__(self, params: AGMParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'agm' needs at least two modalities")
        self.running = RunningScores(len(self.modalities))

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"agm_scores": self.running}

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, batch = ctx.model, ctx.batch
        ce = F.cross_entropy(ctx.fused_logits, batch.labels)
        with torch.no_grad():
            features = model.mask_features(ctx.output.features, batch.keep)
            scores = modality_scores(model, features, batch.labels, batch.keep)
            running = self.running.mean.to(scores)
            coefficient = coefficients(scores, running, self.params.alpha, self.params.cap)
            self.running.update(scores)
        terms = {"loss": ce, "loss/ce": ce.detach()}
        for j, m in enumerate(self.modalities):
            terms[f"agm/score/{m}"] = scores[j]
            terms[f"agm/coef/{m}"] = coefficient[j]
        return terms

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        model = ctx.model
        with torch.no_grad():
            for m in self.modalities:
                coefficient = terms[f"agm/coef/{m}"]
                for parameter in model.encoders[m].parameters():
                    if parameter.grad is not None and parameter.dim() > 1:
                        parameter.grad.mul_(coefficient.to(parameter.grad.dtype))
        limit, fusion_grad = self.params.clip_norm, model.fusion.weight.grad
        if limit > 0 and fusion_grad is not None and fusion_grad.abs().max() > limit:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=limit)
