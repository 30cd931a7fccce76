"""`lfm`: dynamically learning the modality gap (Yang, Wan, Jiang & Xu, NeurIPS 2024).

Follows BalanceBenchmark `balancemm/trainer/LFM_trainer.py` L32-80 (alignment, learnable α), L145-150 and
L332-349 (loss), and the authors' njustkmg/NeurIPS24-LFM `Crema_epoch.py` L38-53 (fitted α) and
`Crema_epoch_learnable.py` L55-97; docs/methods.md#lfm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param

SCHEDULES = ("learnable", "fitted")
FITTED_CLS = (
    2.04623704e-01, 3.35472727e-03, 1.22989557e-04, -2.92947416e-06, 2.23835486e-08, -5.39717505e-11
)  # fmt: skip
WEIGHT_RANGE = (0.05, 0.95)


@dataclass(frozen=True)
class LFMParams:
    """Defaults of BalanceBenchmark's LFM trainer (learnable weights, α_align from 0.05, lr_α = 1e-4 halved
    every 20 epochs, clipped to [0.05, 0.95]). "fitted" is the authors' ``Crema_epoch.py``: a degree-5
    polynomial of the epoch fitted to a learnable run on CREMA-D."""

    schedule: str = field(
        default="learnable",
        metadata={
            "help": "'learnable' (bilevel α update every epoch) or 'fitted' (polynomial of the epoch)",
            "choices": SCHEDULES,
        },
    )
    lr_alpha: float = field(default=1e-4, metadata={"help": "learning rate of the alignment weight α_align"})
    alpha_align: float = field(default=0.05, metadata={"help": "initial weight of the alignment loss"})
    probe_fraction: float = field(
        default=0.25, metadata={"help": "fraction of the fixed batch used for the α update"}
    )

    def __post_init__(self) -> None:
        check_param("lfm", "schedule", self.schedule in SCHEDULES, f"one of {SCHEDULES}", self.schedule)
        check_param("lfm", "lr_alpha", self.lr_alpha >= 0, "a number >= 0", self.lr_alpha)
        low, high = WEIGHT_RANGE
        valid = low <= self.alpha_align <= high
        check_param("lfm", "alpha_align", valid, f"a weight in [{low}, {high}]", self.alpha_align)
        check_param(
            "lfm", "probe_fraction", 0 < self.probe_fraction <= 1, "a fraction in (0, 1]", self.probe_fraction
        )


def jensen_shannon_alignment(logits: torch.Tensor) -> torch.Tensor:
    """Mean over modality pairs of ½[KL(m‖p_i) + KL(m‖p_j)], p = softmax u, m = (p_i + p_j)/2, batch mean:
    [B, M, C] → []. This is the released ``Alignment`` (``F.kl_div(p.log(), m)`` is KL(m‖p)); the textbook
    Jensen–Shannon divergence has the arguments the other way round."""
    probs = F.softmax(logits.float(), dim=-1)
    pairs = list(combinations(range(logits.shape[1]), 2))
    total = probs.new_zeros(())
    for i, j in pairs:
        p, q = probs[:, i], probs[:, j]
        middle = (p + q) / 2
        to_middle = F.kl_div(p.log(), middle, reduction="batchmean")
        total = total + 0.5 * (to_middle + F.kl_div(q.log(), middle, reduction="batchmean"))
    return total / len(pairs)


def fitted_cls_weight(epoch: int) -> float:
    """The authors' fitted classification weight Σ_i c_i·epoch^i, clipped to [0.05, 0.95]."""
    value = sum(c * epoch**i for i, c in enumerate(FITTED_CLS))
    return min(max(value, WEIGHT_RANGE[0]), WEIGHT_RANGE[1])


class AlignWeight(nn.Module):
    """α_align and its learning rate (buffers, so a resumed run continues from them)."""

    alpha_align: torch.Tensor
    lr_alpha: torch.Tensor
    updated_epoch: torch.Tensor

    def __init__(self, alpha_align: float, lr_alpha: float) -> None:
        super().__init__()
        self.register_buffer("alpha_align", torch.tensor(alpha_align, dtype=torch.float32))
        self.register_buffer("lr_alpha", torch.tensor(lr_alpha, dtype=torch.float32))
        self.register_buffer("updated_epoch", torch.tensor(-1, dtype=torch.int64))


@STRATEGIES.register
class LFM(Strategy):
    """Loss = 2·(α_cls·CE(fused) + α_align·L_align), α_cls = 1 − α_align, L_align of
    :func:`jensen_shannon_alignment` over u_m = W_m z_m + b/M (rows where every modality is kept).

    "learnable": at the first step of every epoch α_align −= lr_α·g, clipped to [0.05, 0.95], where g is the
    mean of the first encoder parameter tensor's entries of the Hessian-vector product ∇_θ(∇_θL_total · v),
    v = ∇_θ CE held constant, L_total = α_cls CE + α_align L_align on the first ``probe_fraction`` of the
    first training batch the run saw (the authors' code fixes one training batch, BalanceBenchmark one
    validation batch); lr_α halves at every epoch that is a positive multiple of 20.
    "fitted": α_cls = :func:`fitted_cls_weight` of the epoch.
    Logged: ``lfm/alpha_align``, ``lfm/align``."""

    name = "lfm"
    summary = "Fused CE + JS alignment of the unimodal predictions, weights learned by a bilevel step."
    Params = LFMParams

    def __init__(self, params: LFMParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'lfm' needs at least two modalities")
        self.state = AlignWeight(params.alpha_align, params.lr_alpha)
        self._probe: tuple[dict[str, torch.Tensor], torch.Tensor] | None = None

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"lfm_weights": self.state}

    @staticmethod
    def _objective(
        model: MultimodalModel, inputs: dict[str, torch.Tensor], labels: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        output = model(inputs)
        logits = model.modality_logits(output.features) + model.fusion.bias / model.num_modalities
        return F.cross_entropy(output.logits, labels), jensen_shannon_alignment(logits)

    def update_alpha(self, model: MultimodalModel, epoch: int) -> float:
        """One learnable α step on the fixed probe batch; returns the gradient estimate g."""
        assert self._probe is not None, "update_alpha before the probe batch was drawn"
        inputs, labels = self._probe
        params = [p for p in model.parameters() if p.requires_grad]
        alpha = float(self.state.alpha_align)
        ce, align = self._objective(model, inputs, labels)
        total = (1 - alpha) * ce + alpha * align
        total_grads = torch.autograd.grad(total, params, create_graph=True, allow_unused=True)
        ce_grads = torch.autograd.grad(ce, params, retain_graph=True, allow_unused=True)
        live = [(g, v) for g, v in zip(total_grads, ce_grads) if g is not None and v is not None]
        hvp = torch.autograd.grad(
            [g for g, _ in live], params[0], grad_outputs=[v for _, v in live], allow_unused=True
        )[0]
        estimate = 0.0 if hvp is None else float(hvp.mean())
        if epoch % 20 == 0 and epoch != 0:
            self.state.lr_alpha /= 2
        low, high = WEIGHT_RANGE
        self.state.alpha_align.fill_(min(max(alpha - float(self.state.lr_alpha) * estimate, low), high))
        self.state.updated_epoch.fill_(epoch)
        return estimate

    def align_weight(self, ctx: StepContext) -> float:
        if self.params.schedule == "fitted":
            return 1 - fitted_cls_weight(ctx.epoch)
        if self._probe is None:
            size = max(1, int(len(ctx.batch.labels) * self.params.probe_fraction))
            self._probe = (
                {m: x[:size].detach() for m, x in ctx.batch.inputs.items()},
                ctx.batch.labels[:size].detach(),
            )
        if int(self.state.updated_epoch) < ctx.epoch:
            self.update_alpha(ctx.model, ctx.epoch)
        return float(self.state.alpha_align)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, batch = ctx.model, ctx.batch
        alpha = self.align_weight(ctx)
        ce = F.cross_entropy(ctx.fused_logits, batch.labels)
        every = batch.keep.bool().all(1)
        logits = model.modality_logits(ctx.output.features) + model.fusion.bias / model.num_modalities
        align = jensen_shannon_alignment(logits[every]) if bool(every.any()) else ce.new_zeros(())
        loss = 2 * ((1 - alpha) * ce + alpha * align)
        return {
            "loss": loss,
            "loss/ce": ce.detach(),
            "lfm/align": align.detach(),
            "lfm/alpha_align": torch.tensor(alpha),
        }
