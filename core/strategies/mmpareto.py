"""`mmpareto`: fused + unimodal losses, Pareto-integrated encoder gradients (Wei & Hu, ICML 2024)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.unimodal_heads import unimodal_cross_entropies

NORM_FLOOR = 1e-12


@dataclass(frozen=True)
class MMParetoParams:
    """``gamma`` scales every encoder's integrated gradient; 1.0 keeps the paper's rule (final magnitude =
    ‖g_mm + g_u‖). The released code additionally multiplies by 1.5."""

    gamma: float = field(default=1.0, metadata={"help": "extra factor on the encoders' integrated gradients"})

    def __post_init__(self) -> None:
        check_param("mmpareto", "gamma", self.gamma > 0, "a number > 0", self.gamma)


def pareto_combine(multimodal: torch.Tensor, unimodal: torch.Tensor) -> torch.Tensor:
    """Integrate two flat gradients of the same parameters into one.

    cos ≥ 0: equal weights ½, ½. cos < 0: the min-norm (MGDA) point of the segment between them,
    w = clamp(⟨g_u − g_mm, g_u⟩ / ‖g_mm − g_u‖², 0, 1), whose inner product with both is ≥ 0. The result
    2·(w g_mm + (1−w) g_u) is rescaled to the norm ‖g_mm + g_u‖ (a no-op when they do not conflict).
    """
    difference = multimodal - unimodal
    min_norm_weight = (
        torch.dot(-difference, unimodal) / difference.square().sum().clamp_min(NORM_FLOOR)
    ).clamp(0, 1)
    weight = torch.where(torch.dot(multimodal, unimodal) >= 0, 0.5, min_norm_weight)
    combined = 2 * (weight * multimodal + (1 - weight) * unimodal)
    target_norm = (multimodal + unimodal).norm()
    return combined * (target_norm / combined.norm().clamp_min(NORM_FLOOR))


@STRATEGIES.register
class MMPareto(Strategy):
    """Loss = fused CE + Σ_m CE(unimodal head m), from ONE forward pass. For encoder m, the gradient g_mm
    of the fused CE and g_u of its own unimodal CE are taken separately (two ``torch.autograd.grad`` calls
    over the same graph) and integrated by :func:`pareto_combine` over the encoder's parameters as one
    vector; the fusion head and the unimodal heads get their plain gradients. Differences from the
    released code: the magnitude rescale is done per encoder (the code does it per parameter tensor, never
    shrinking) and the code's extra factor 1.5 is the ``gamma`` parameter (default 1.0). Mixed precision:
    the gradients carry the same scale as the ``loss`` the engine passes to :meth:`backward`."""

    name = "mmpareto"
    summary = "Fused + unimodal losses; conflicting encoder gradients integrated by MGDA, magnitude kept."
    reshapes_gradients = True
    Params = MMParetoParams

    def trains_unimodal_heads(self, epoch: int) -> bool:
        return True

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        ce = F.cross_entropy(ctx.fused_logits, ctx.batch.labels)
        uni = unimodal_cross_entropies(ctx.output, ctx.batch.labels, ctx.batch.keep)
        terms = {"loss": ce + uni.sum(), "loss/ce": ce}
        terms.update({f"loss/uni/{m}": uni[j] for j, m in enumerate(self.modalities)})
        return terms

    def backward(self, ctx: StepContext, terms: dict[str, torch.Tensor]) -> None:
        model = ctx.model
        unimodal_total = sum(terms[f"loss/uni/{m}"] for m in self.modalities)
        scale = (terms["loss"] / (terms["loss/ce"] + unimodal_total)).detach()
        encoders = {
            m: [p for p in model.encoders[m].parameters() if p.requires_grad] for m in self.modalities
        }
        encoder_params = [p for params in encoders.values() for p in params]
        fusion_params = list(model.fusion.parameters())
        head_params = list(model.unimodal_heads.parameters())

        from_fused = _grads(scale * terms["loss/ce"], encoder_params + fusion_params, retain_graph=True)
        from_unimodal = _grads(scale * unimodal_total, encoder_params + head_params, retain_graph=False)
        _accumulate(fusion_params, from_fused[len(encoder_params) :])
        _accumulate(head_params, from_unimodal[len(encoder_params) :])

        start = 0
        for m in self.modalities:
            params = encoders[m]
            stop = start + len(params)
            g_mm = torch.cat([g.flatten() for g in from_fused[start:stop]])
            g_u = torch.cat([g.flatten() for g in from_unimodal[start:stop]])
            combined = pareto_combine(g_mm, g_u) * self.params.gamma
            _accumulate(params, list(torch.split(combined, [p.numel() for p in params])))
            start = stop


def _grads(loss: torch.Tensor, params: Sequence[torch.Tensor], retain_graph: bool) -> list[torch.Tensor]:
    grads = torch.autograd.grad(loss, params, retain_graph=retain_graph, allow_unused=True)
    return [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads, strict=True)]


def _accumulate(params: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]) -> None:
    for parameter, grad in zip(params, grads, strict=True):
        grad = grad.view_as(parameter)
        parameter.grad = grad if parameter.grad is None else parameter.grad + grad
