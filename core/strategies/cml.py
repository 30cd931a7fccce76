"""`cml`: Calibrating Multimodal Learning (Ma et al., ICML 2023; docs/methods.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param


@dataclass(frozen=True)
class CMLParams:
    """λ = 0.1 and calibration over every epoch (BalanceBenchmark ``configs/trainer_config.yaml`` L29-33)."""

    lam: float = field(default=0.1, metadata={"help": "λ, weight of the confidence-calibration penalty"})
    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with calibration"})
    end_epoch: int = field(default=-1, metadata={"help": "last epoch with calibration (-1: until the end)"})

    def __post_init__(self) -> None:
        check_param("cml", "lam", self.lam >= 0, "a weight >= 0", self.lam)
        check_param("cml", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


def calibration_terms(
    summands: torch.Tensor, bias: torch.Tensor, labels: torch.Tensor, order: list[int]
) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean cross-entropy over the nested subsets, summed confidence penalty) for one removal order.

    Start from all modalities; remove ``order[0]``, then ``order[1]``, ... until one is left (M − 1
    removals). The subsets' logits are b + Σ of the remaining summands. Cross-entropy is averaged over
    the M subsets; each removal adds max(0, Σ_batch (conf(smaller) − conf(larger))) with conf the top
    softmax probability: a prediction must not grow more confident when it loses a modality."""
    logits = summands.sum(1) + bias
    losses = [F.cross_entropy(logits, labels)]
    penalty = logits.new_zeros(())
    for removed in order[:-1]:
        smaller = logits - summands[:, removed]
        confidence = F.softmax(logits, dim=-1).amax(-1)
        confidence_smaller = F.softmax(smaller, dim=-1).amax(-1)
        penalty = penalty + F.relu((confidence_smaller - confidence).sum())
        losses.append(F.cross_entropy(smaller, labels))
        logits = smaller
    return torch.stack(losses).mean(), penalty


@STRATEGIES.register
class CML(Strategy):
    """Loss = mean CE over a chain of nested modality subsets + λ · confidence penalty
    (:func:`calibration_terms`), BalanceBenchmark ``balancemm/trainer/CML_trainer.py`` L19-22 (penalty),
    L62-67 (one random removal order per epoch) and L170-201 (the chain, ``loss / M + λ·Σ penalty``). The
    subsets come from the additive fusion head (absent = its summand removed, as the code's
    ``out_s − unimodal_result[m] + b/M``), so one encoder pass serves them all. The code's per-sample
    ``sign`` (its "trick 1") is computed but unused there, and is left out here. Logged: ``cml/chain_ce``
    (the mean over the subsets) and ``cml/penalty``."""

    name = "cml"
    summary = "Cross-entropy over nested modality subsets + penalty when fewer modalities raise confidence."
    Params = CMLParams

    def __init__(self, params: CMLParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'cml' needs at least two modalities")
        self._order: tuple[int, list[int]] | None = None

    def calibrating(self, epoch: int) -> bool:
        return self.params.start_epoch <= epoch and (
            self.params.end_epoch < 0 or epoch <= self.params.end_epoch
        )

    def removal_order(self, epoch: int) -> list[int]:
        """A random order of the modalities, drawn once per epoch."""
        if self._order is None or self._order[0] != epoch:
            self._order = (epoch, torch.randperm(len(self.modalities)).tolist())
        return self._order[1]

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, labels = ctx.model, ctx.batch.labels
        if not self.calibrating(ctx.epoch):
            ce = F.cross_entropy(ctx.fused_logits, labels)
            return {"loss": ce, "loss/ce": ce.detach()}
        summands = model.modality_logits(model.mask_features(ctx.output.features, ctx.batch.keep))
        ce, penalty = calibration_terms(summands, model.fusion_bias, labels, self.removal_order(ctx.epoch))
        loss = ce + self.params.lam * penalty
        fused = F.cross_entropy(ctx.fused_logits, labels).detach()
        return {"loss": loss, "loss/ce": fused, "cml/chain_ce": ce.detach(), "cml/penalty": penalty.detach()}
