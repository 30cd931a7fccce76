"""`pmr`: Prototypical Modal Rebalance (Fan et al., CVPR 2023; docs/methods.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, EpochStart, StepContext, Strategy, check_param


@dataclass(frozen=True)
class PMRParams:
    """The authors' defaults (``Modal-Imbalance-PMR`` ``main_Prototype_grad.py`` L39, L49): α = 1,
    momentum 0.2 (weight of the previous prototypes), prototypes from a tenth of the training set (L429);
    BalanceBenchmark uses α = 0.6, momentum 0.5. Modulation over every epoch by default."""

    alpha: float = field(default=1.0, metadata={"help": "α, weight of the weaker modality's prototype loss"})
    momentum: float = field(
        default=0.2, metadata={"help": "weight of the previous epoch's prototypes in the update"}
    )
    prototype_fraction: float = field(
        default=0.1, metadata={"help": "share of the training samples the prototypes are measured on"}
    )
    start_epoch: int = field(default=0, metadata={"help": "first epoch (0-based) with the prototype loss"})
    end_epoch: int = field(
        default=-1, metadata={"help": "last epoch with the prototype loss (-1: until the end)"}
    )

    def __post_init__(self) -> None:
        check_param("pmr", "alpha", self.alpha >= 0, "a number >= 0", self.alpha)
        check_param("pmr", "momentum", 0 <= self.momentum < 1, "a number in [0, 1)", self.momentum)
        check_param(
            "pmr", "prototype_fraction", 0 < self.prototype_fraction <= 1, "a share in (0, 1]",
            self.prototype_fraction,
        )
        check_param("pmr", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


class Prototypes(nn.Module):
    """Class centres of every modality's features [M, C, d] (buffers, so checkpoints carry them)."""

    centres: torch.Tensor
    ready: torch.Tensor

    def __init__(self, num_modalities: int, num_classes: int, feature_dim: int) -> None:
        super().__init__()
        self.register_buffer("centres", torch.zeros(num_modalities, num_classes, feature_dim))
        self.register_buffer("ready", torch.zeros((), dtype=torch.bool))

    @torch.no_grad()
    def update(self, means: torch.Tensor, seen: torch.Tensor, momentum: float) -> None:
        """New centres = (1 − momentum)·means + momentum·old for the classes seen (the first time: means)."""
        new = (1 - momentum) * means + momentum * self.centres if self.ready else means
        self.centres.copy_(torch.where(seen[None, :, None], new, self.centres))
        self.ready.fill_(True)


def prototype_logits(features: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """Negative Euclidean distance of every row's feature to every class centre, per modality: [B, M, C]."""
    return -torch.cdist(features.transpose(0, 1).float(), centres.float()).transpose(0, 1)


def prototype_coefficients(scores: torch.Tensor, alpha: float) -> torch.Tensor:
    """α for every modality whose prototype score is below the best one's, 0 for the best (and for ties)."""
    return torch.where(scores < scores.max(), alpha, 0.0)


@STRATEGIES.register
class PMR(Strategy):
    """Loss = fused CE + Σ_m β_m · CE(−‖z_m − c_m,k‖ over classes k, y), the prototypical cross-entropy.

    Prototypes c_m,k: mean feature of class k in modality m over a random ``prototype_fraction`` of the
    training set, measured before every epoch with the model in eval mode and blended with the previous
    ones by ``momentum`` (``main_Prototype_grad.py`` L383-441, BalanceBenchmark
    ``balancemm/trainer/PMR_trainer.py`` L200-251). Each step the prototype score s_m = Σ_batch
    softmax(−distances)[y] measures each modality's progress; the weaker modality (s_m below the best)
    gets β_m = α, the best gets 0 (``main_Prototype_grad.py`` L156-178, ``PMR_trainer.py`` L139-176), so
    only the slow-learning modality is pulled toward its class clusters. For more than two modalities
    every modality behind the best gets α (BalanceBenchmark switches to gradient scaling there). The
    paper's prototype entropy regulariser (PER) is in neither released code and is not implemented.
    Logged: ``pmr/score/<m>``, ``pmr/coef/<m>``."""

    name = "pmr"
    summary = "Prototype cross-entropy on the slower modality, chosen each step by prototype accuracy."
    Params = PMRParams

    def __init__(self, params: PMRParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'pmr' needs at least two modalities")
        self.prototypes = Prototypes(model.num_modalities, model.num_classes, model.feature_dim)

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"pmr_prototypes": self.prototypes}

    def modulating(self, epoch: int) -> bool:
        return self.params.start_epoch <= epoch and (
            self.params.end_epoch < 0 or epoch <= self.params.end_epoch
        )

    @torch.no_grad()
    def before_epoch(self, ctx: EpochStart) -> None:
        model = ctx.model
        size = max(1, math.ceil(self.params.prototype_fraction * len(ctx.train_index)))
        rows = ctx.train_index
        if size < len(rows):
            rows = ctx.rng.choice(rows, size=size, replace=False)
        centres = self.prototypes.centres
        sums = torch.zeros_like(centres)
        counts = torch.zeros(centres.shape[1], device=centres.device)
        was_training = model.training
        model.eval()
        for batch in ctx.batches(rows):
            features = model.encode(batch.inputs).float().to(centres.device)
            labels = batch.labels.to(centres.device)
            sums.index_add_(1, labels, features.transpose(0, 1))
            counts.index_add_(0, labels, torch.ones_like(labels, dtype=counts.dtype))
        model.train(was_training)
        seen = counts > 0
        self.prototypes.update(sums / counts.clamp_min(1)[None, :, None], seen, self.params.momentum)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        labels, keep = ctx.batch.labels, ctx.batch.keep
        ce = F.cross_entropy(ctx.fused_logits, labels)
        terms = {"loss/ce": ce.detach()}
        if not (self.modulating(ctx.epoch) and bool(self.prototypes.ready)):
            return {"loss": ce, **terms}
        logits = prototype_logits(ctx.output.features, self.prototypes.centres)
        per_row = F.cross_entropy(
            logits.transpose(1, 2), labels[:, None].expand(-1, logits.shape[1]), reduction="none"
        )
        keep = keep.to(per_row.dtype)
        prototype_ce = (per_row * keep).sum(0) / keep.sum(0).clamp_min(1)
        with torch.no_grad():
            true_prob = F.softmax(logits, -1).gather(-1, labels[:, None, None].expand(-1, logits.shape[1], 1))
            scores = (true_prob.squeeze(-1) * keep).sum(0)
            coefficient = prototype_coefficients(scores, self.params.alpha)
        loss = ce + (coefficient * prototype_ce).sum()
        for j, m in enumerate(self.modalities):
            terms[f"pmr/score/{m}"] = scores[j]
            terms[f"pmr/coef/{m}"] = coefficient[j]
        return {"loss": loss, **terms}
