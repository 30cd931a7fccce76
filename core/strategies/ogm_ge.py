"""`ogm-ge`: On-the-fly Gradient Modulation with Generalisation Enhancement (Peng et al., CVPR 2022)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param

COEFFICIENT_FORMS = ("paper", "shifted")


@dataclass(frozen=True)
class OgmGeParams:
    """α = 1.0 (the value of the MCR paper's OGM re-run on CREMA-D; the original code's CREMA-D runs used
    0.1–0.8). Modulation over all epochs by default (``end_epoch = -1``). ``coefficient``: "paper" is Eq. 10
    and the released code, k = 1 − tanh(α·ρ) for ρ > 1 (a jump at ρ = 1); "shifted" is the continuous
    k = 1 − tanh(α·relu(ρ − 1))."""

    alpha: float = field(default=1.0, metadata={"help": "modulation strength α"})
    ge: bool = field(
        default=True, metadata={"help": "add Gaussian noise N(0, std(grad)^2) to the modulated gradients"}
    )
    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with modulation"})
    end_epoch: int = field(default=-1, metadata={"help": "last epoch with modulation (-1: until the end)"})
    coefficient: str = field(
        default="paper", metadata={"help": "'paper': 1-tanh(α·ρ) if ρ>1; 'shifted': 1-tanh(α·relu(ρ-1))"}
    )

    def __post_init__(self) -> None:
        check_param("ogm-ge", "alpha", self.alpha >= 0, "a number >= 0", self.alpha)
        check_param("ogm-ge", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)
        check_param(
            "ogm-ge",
            "coefficient",
            self.coefficient in COEFFICIENT_FORMS,
            f"one of {COEFFICIENT_FORMS}",
            self.coefficient,
        )


@STRATEGIES.register
class OgmGe(Strategy):
    """Fused cross-entropy; each step, per-modality confidence s_m = Σ_batch softmax(W_m z_m + b/M)[y],
    discrepancy ratio ρ_m = s_m / mean of the others' s, coefficient k_m < 1 for every ρ_m > 1 (1 otherwise);
    the gradients of encoder m's weight tensors are multiplied by k_m and, with GE, get noise N(0, std(g)²)
    where std is taken over each tensor's unmodulated gradient. As in the released code the noise is added
    to every encoder's gradients (also those with k = 1) while modulation is on, and biases and
    normalisation parameters are left alone. Differences from the released code: linear weights are
    modulated beside convolution kernels (the code touches only 4-D convolution weights; MLP encoders have
    none), and s_m is taken over the rows where modality m is kept (identical when no re-sampled copies
    are present).
    Logged: ``ogm/ratio/<m>`` and the applied ``ogm/coef/<m>`` (1 outside the modulation epochs)."""

    name = "ogm-ge"
    summary = "Slow the dominant encoder's gradients by its confidence ratio, plus gradient noise (GE)."
    reshapes_gradients = True
    Params = OgmGeParams

    def __init__(self, params: OgmGeParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'ogm-ge' needs at least two modalities")

    def modulating(self, epoch: int) -> bool:
        return self.params.start_epoch <= epoch and (
            self.params.end_epoch < 0 or epoch <= self.params.end_epoch
        )

    @torch.no_grad()
    def coefficients(self, ctx: StepContext) -> tuple[torch.Tensor, torch.Tensor]:
        """(ρ [M], k [M]) for this batch."""
        model, labels, keep = ctx.model, ctx.batch.labels, ctx.batch.keep.float()
        logits = model.modality_logits(ctx.output.features) + model.fusion.bias / model.num_modalities
        probs = F.softmax(logits.float(), dim=-1)
        true_prob = probs.gather(-1, labels[:, None, None].expand(-1, probs.shape[1], 1)).squeeze(-1)
        score = (true_prob * keep).sum(0) / keep.sum(0).clamp_min(1)
        others = (score.sum() - score) / (len(score) - 1)
        ratio = score / others.clamp_min(torch.finfo(score.dtype).tiny)
        alpha = self.params.alpha
        if self.params.coefficient == "paper":
            coefficient = torch.where(ratio > 1, 1 - torch.tanh(alpha * ratio), torch.ones_like(ratio))
        else:
            coefficient = 1 - torch.tanh(alpha * F.relu(ratio - 1))
        return ratio, coefficient

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        ce = F.cross_entropy(ctx.fused_logits, ctx.batch.labels)
        ratio, coefficient = self.coefficients(ctx)
        if not self.modulating(ctx.epoch):
            coefficient = torch.ones_like(coefficient)
        terms = {"loss": ce, "loss/ce": ce.detach()}
        for j, m in enumerate(self.modalities):
            terms[f"ogm/ratio/{m}"] = ratio[j]
            terms[f"ogm/coef/{m}"] = coefficient[j]
        return terms

    @torch.no_grad()
    def _modulate(self, model: MultimodalModel, terms: dict[str, torch.Tensor]) -> None:
        """Scale (and, with GE, perturb) the gradients of each encoder's weight tensors: its convolution
        kernels and linear weights. Biases and normalisation parameters (1-D) keep their gradients, as the
        released code leaves everything but its encoders' convolution kernels alone."""
        for m in self.modalities:
            coefficient = terms[f"ogm/coef/{m}"]
            for parameter in model.encoders[m].parameters():
                grad = parameter.grad
                if grad is None or grad.dim() < 2:
                    continue
                noise_std = grad.std() if self.params.ge and grad.numel() > 1 else None
                grad.mul_(coefficient.to(grad.dtype))
                if noise_std is not None:
                    grad.add_(torch.randn_like(grad) * noise_std)

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        if self.modulating(ctx.epoch):
            self._modulate(ctx.model, terms)
