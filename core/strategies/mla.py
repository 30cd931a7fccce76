"""`mla`: Multimodal representation learning by Alternating unimodal adaptation (Zhang et al., CVPR 2024;
docs/methods.md#mla).

Follows GeWu-Lab/BalanceBenchmark ``balancemm/trainer/MLA_trainer.py`` (gradient modification L37-53,
alternating steps L140-166) and ``balancemm/models/avclassify_model.py`` (shared head L650-655, test-time
entropy gating L673-700).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import ModelOutput, MultimodalModel
from core.strategies.base import STRATEGIES, EpochStart, StepContext, Strategy, check_param, drop_gradients


@dataclass(frozen=True)
class MLAParams:
    """Gradient modification on (the released trainers' only mode) and the entropy-gated fusion at test."""

    modify_gradients: bool = field(
        default=True, metadata={"help": "project the shared head's gradient with the recursive P (OWM-style)"}
    )
    gated_fusion: bool = field(
        default=True, metadata={"help": "test-time fusion Σ_m softmax(−H)_m·h(z_m) by prediction entropy H"}
    )
    base_alpha: float = field(
        default=1.0, metadata={"help": "α_0 in α = α_0·0.1^(1 + step/steps), the regulariser of P's update"}
    )

    def __post_init__(self) -> None:
        check_param("mla", "base_alpha", self.base_alpha > 0, "a number > 0", self.base_alpha)


def gating_weights(logits: torch.Tensor) -> torch.Tensor:
    """Per-row fusion weights [B, M] from per-modality logits [B, M, C]: w_m ∝ exp(max_j H_j − H_m), H the
    prediction entropy (a more certain modality weighs more); the released max cancels in the normalisation,
    so w = softmax(−H) over modalities."""
    log_p = F.log_softmax(logits.float(), dim=-1)
    entropy = -(log_p.exp() * log_p).sum(-1)
    return F.softmax(-entropy, dim=-1)


def update_projector(projector: torch.Tensor, mean_feature: torch.Tensor, alpha: float) -> torch.Tensor:
    """One recursive step of the released plugin: k = P rᵀ, P ← P − k kᵀ / (α + r k), then P / ‖P‖_F."""
    r = mean_feature[None]
    k = projector @ r.T
    updated = projector - (k @ k.T) / (alpha + float(r @ k))
    return updated / updated.norm()


class SharedHead(nn.Module):
    """The classifier h shared by every modality, and the plugin's projector P and step counter (buffers)."""

    projector: torch.Tensor
    updates: torch.Tensor

    def __init__(self, feature_dim: int, num_classes: int) -> None:
        super().__init__()
        self.head = nn.Linear(feature_dim, num_classes)
        self.register_buffer("projector", torch.eye(feature_dim))
        self.register_buffer("updates", torch.zeros((), dtype=torch.int64))


@STRATEGIES.register
class MLA(Strategy):
    """Step t trains modality m = t mod M only: CE(h(z_m)) over the rows where m is kept, h one linear head
    shared by all modalities; with ``modify_gradients`` the head's weight gradient g becomes g + g Pᵀ, P
    updated first from the batch mean of z_m (:func:`update_projector`; skipped on the very first step of
    the run, as the released counter). After each step the model's heads are tied to h: unimodal head m = h,
    fused head W = [W_h/M, …], b = b_h (the plain average of the modalities' logits, which Shapley values
    and MI terms describe). At test time (``gated_fusion``) the fused prediction is Σ_m w_m h(z_m) with
    :func:`gating_weights`. Difference from the released code: it makes one optimiser step per modality on
    every batch (M steps per batch); here each step takes the next batch, so an epoch makes 1/M of its
    updates per modality (run M times the epochs to match). Any M ≥ 2 works (the released gating handles
    two or three). Logged: ``mla/modality`` (index trained this step)."""

    name = "mla"
    summary = "Alternate unimodal steps through one shared head (gradient projection); entropy-gated fusion at test."
    reshapes_gradients = True
    Params = MLAParams

    def __init__(self, params: MLAParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'mla' needs at least two modalities")
        self.shared = SharedHead(model.feature_dim, model.num_classes)
        self.shared.to(model.fusion.weight.device)
        self._steps_per_epoch = 1
        self._train_rows = 0
        tie_heads(model, self.shared.head)

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"mla_head": self.shared}

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return True

    def before_epoch(self, ctx: EpochStart) -> None:
        self._train_rows = len(ctx.train_index)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        m = ctx.step % len(self.modalities)
        rows = ctx.batch.keep[:, m] > 0
        features = ctx.output.features[:, m]
        logits = self.shared.head(features)
        per_row = F.cross_entropy(logits, ctx.batch.labels, reduction="none")
        loss = (per_row * rows).sum() / rows.sum().clamp_min(1)
        if self._train_rows:
            self._steps_per_epoch = max(1, math.ceil(self._train_rows / len(ctx.batch.labels)))
        self._mean_feature = features[rows].detach().float().mean(0) if rows.any() else None
        return {"loss": loss, f"loss/uni/{self.modalities[m]}": loss.detach(), "mla/modality": torch.tensor(float(m))}

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        terms["loss"].backward()
        trained = ctx.step % len(self.modalities)
        for j, m in enumerate(self.modalities):
            if j != trained:
                drop_gradients(ctx.model.encoders[m])
        weight = self.shared.head.weight
        if not self.params.modify_gradients or weight.grad is None or self._mean_feature is None:
            return
        with torch.no_grad():
            if int(self.shared.updates) > 0:
                position = (ctx.step % self._steps_per_epoch) / self._steps_per_epoch
                alpha = self.params.base_alpha * 0.1 ** (position + 1)
                projector = update_projector(self.shared.projector, self._mean_feature, alpha)
                self.shared.projector.copy_(projector)
                weight.grad.add_(weight.grad @ projector.T.to(weight.grad.dtype))
            self.shared.updates += 1

    def after_step(self, model: MultimodalModel, epoch: int) -> None:
        tie_heads(model, self.shared.head)

    def evaluation_logits(self, model: MultimodalModel, output: ModelOutput) -> torch.Tensor:
        if not self.params.gated_fusion:
            return output.logits
        logits = output.unimodal_logits.float()  # h(z_m): the unimodal heads are tied to h
        return (gating_weights(logits)[..., None] * logits).sum(1)


@torch.no_grad()
def tie_heads(model: MultimodalModel, head: nn.Linear) -> None:
    """Unimodal head m = h for every m; fused head W = [W_h/M, …, W_h/M], b = b_h."""
    for unimodal in model.linear_heads():
        unimodal.weight.copy_(head.weight)
        unimodal.bias.copy_(head.bias)
    count = model.num_modalities
    model.fusion.weight.copy_(torch.cat([head.weight / count] * count, dim=1))
    model.fusion.bias.copy_(head.bias)

