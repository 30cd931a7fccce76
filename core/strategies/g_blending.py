"""`g-blending`: Gradient-Blending (Wang, Tran & Feiszli, CVPR 2020; docs/methods.md)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.data.batches import Batch
from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, EpochStart, StepContext, Strategy, check_param
from core.strategies.unimodal_heads import unimodal_cross_entropies

OVERFIT_FLOOR = 1e-12  # keeps w = |ΔG| / ΔO² finite when the overfitting did not change


@dataclass(frozen=True)
class GBlendingParams:
    """A super-epoch of 10 epochs, BalanceBenchmark's online setting (``configs/trainer_config.yaml``
    L34-39)."""

    super_epoch: int = field(
        default=10, metadata={"help": "epochs per super-epoch; the weights are re-estimated at its ends"}
    )

    def __post_init__(self) -> None:
        check_param("g-blending", "super_epoch", self.super_epoch >= 1, "an integer >= 1", self.super_epoch)


class BlendState(nn.Module):
    """Weights of the M unimodal heads and the fused head, and the losses measured at the super-epoch's
    start (buffers, so checkpoints carry them)."""

    weights: torch.Tensor
    start_train: torch.Tensor
    start_val: torch.Tensor
    measured: torch.Tensor

    def __init__(self, num_heads: int) -> None:
        super().__init__()
        self.register_buffer("weights", torch.full((num_heads,), 1.0 / num_heads))
        self.register_buffer("start_train", torch.zeros(num_heads))
        self.register_buffer("start_val", torch.zeros(num_heads))
        self.register_buffer("measured", torch.zeros((), dtype=torch.bool))


def blend_weights(
    train_before: torch.Tensor, val_before: torch.Tensor, train_after: torch.Tensor, val_after: torch.Tensor
) -> torch.Tensor:
    """w_k ∝ |ΔG_k| / ΔO_k², normalised to sum 1, per head k from its train/validation losses at the two
    ends of a super-epoch: ΔG = V_after − V_before (generalisation), ΔO = O_after − O_before with the
    overfitting O = V − T. The inverse overfitting-to-generalisation ratio, scaled by 1/ΔO."""
    generalisation = val_after - val_before
    overfitting = (val_after - train_after) - (val_before - train_before)
    raw = generalisation.abs() / overfitting.square().clamp_min(OVERFIT_FLOOR)
    return raw / raw.sum()


@torch.no_grad()
def head_losses(model: MultimodalModel, batches: Iterable[Batch]) -> torch.Tensor:
    """Mean cross-entropy of each unimodal head and of the fused head (last) in eval mode: [M + 1]."""
    was_training = model.training
    model.eval()
    total, count = None, 0
    for batch in batches:
        output = model(batch.inputs)
        logits = torch.cat([output.unimodal_logits, output.logits[:, None]], dim=1).float()
        labels = batch.labels[:, None].expand(-1, logits.shape[1])
        losses = F.cross_entropy(logits.transpose(1, 2), labels, reduction="none").sum(0)
        total = losses if total is None else total + losses
        count += len(batch.labels)
    model.train(was_training)
    if total is None:
        raise ValueError("no batches to measure the head losses on")
    return total / count


@STRATEGIES.register
class GBlending(Strategy):
    """Loss = Σ_k w_k CE_k over the M unimodal heads and the fused head, the weights from
    :func:`blend_weights` (BalanceBenchmark ``balancemm/trainer/GBlending_trainer.py`` L292-303 for the
    loss, L361-372 for the weights; the paper's Algorithm 1, online G-Blend). Before every super-epoch
    the heads' train and validation losses are measured on the current model; from the second one on,
    the weights come from the change since the previous measurement; until then they are uniform.
    Difference from the paper and the code: they estimate ΔG and ΔO by training a copy of the model on
    each head's loss alone for a super-epoch (M + 1 extra trainings each time); here they are read off
    the run's own trajectory, with no extra training. The code sums batch losses (so train and validation
    scale with their batch counts); here both are per-sample means. Needs a validation split.
    Logged: ``gblend/weight/<m>`` and ``gblend/weight/fused``."""

    name = "g-blending"
    summary = "Weight the unimodal and fused losses by each head's generalisation-to-overfitting change."
    Params = GBlendingParams

    def __init__(self, params: GBlendingParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        self.state = BlendState(model.num_modalities + 1)

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"gblend": self.state}

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return True

    def before_epoch(self, ctx: EpochStart) -> None:
        if ctx.epoch % self.params.super_epoch:
            return
        if len(ctx.val_index) == 0:
            raise ValueError("strategy 'g-blending' needs a validation split (rows with split 'val')")
        state = self.state
        train = head_losses(ctx.model, ctx.batches(ctx.train_index)).to(state.weights)
        val = head_losses(ctx.model, ctx.batches(ctx.val_index)).to(state.weights)
        if state.measured:
            weights = blend_weights(state.start_train, state.start_val, train, val)
            if torch.isfinite(weights).all():
                state.weights.copy_(weights)
        state.start_train.copy_(train)
        state.start_val.copy_(val)
        state.measured.fill_(True)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        ce = F.cross_entropy(ctx.fused_logits, ctx.batch.labels)
        uni = unimodal_cross_entropies(ctx.output, ctx.batch.labels, ctx.batch.keep)
        weights = self.state.weights.to(ce)
        loss = (weights[:-1] * uni).sum() + weights[-1] * ce
        terms = {"loss": loss, "loss/ce": ce.detach()}
        for j, m in enumerate(self.modalities):
            terms[f"loss/uni/{m}"] = uni[j].detach()
            terms[f"gblend/weight/{m}"] = weights[j]
        terms["gblend/weight/fused"] = weights[-1]
        return terms
