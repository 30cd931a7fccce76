"""`inforeg`: Information Acquisition Regulation (Huang, Wei, Yang & Hu, CVPR 2025).

Follows GeWu-Lab/InfoReg_CVPR2025 `main.py` L237-243 (window test), L259 (epoch-start copy), L361-380
(losses), L460-495 (leading modality, proximal gradient), L501-595 (Fisher traces); docs/methods.md#inforeg.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param
from core.strategies.head_summands import summand_cross_entropies, summand_logits
from core.strategies.unimodal_heads import unimodal_terms


@dataclass(frozen=True)
class InfoRegParams:
    """Defaults of the released ``main.py``: β = 0.95 (the coefficient it uses when audio, CREMA-D's
    information-sufficient modality, leads; it uses 0.1 when video leads), window threshold 0.05 on the
    relative change of the Fisher trace over a 10-epoch span."""

    beta: float = field(
        default=0.95, metadata={"help": "β, pull of the leading encoder towards its epoch-start weights"}
    )
    threshold: float = field(
        default=0.05, metadata={"help": "the prime learning window is open while the trace change k > this"}
    )
    span: int = field(default=10, metadata={"help": "epochs over which the Fisher-trace change is measured"})

    def __post_init__(self) -> None:
        check_param("inforeg", "beta", self.beta >= 0, "a number >= 0", self.beta)
        check_param("inforeg", "threshold", self.threshold >= 0, "a number >= 0", self.threshold)
        check_param("inforeg", "span", self.span >= 1, "an integer >= 1", self.span)


def trace_change(traces: list[float], span: int) -> float:
    """k = (mean of the last ``span`` traces − mean of the ``span`` before the last one) / the former, over
    the per-epoch Fisher traces so far, left-padded with ``span`` zeros as in the released code (1 before
    any epoch has finished)."""
    if not traces:
        return 1.0
    padded = [0.0] * span + list(traces)
    recent = sum(padded[-span:]) / span
    previous = sum(padded[-span - 1 : -1]) / span
    return (recent - previous) / recent if recent > 0 else 0.0


class FisherHistory(nn.Module):
    """Per-epoch Fisher traces of the encoders (a buffer, so a resumed run keeps its window state)."""

    traces: torch.Tensor
    count: torch.Tensor

    def __init__(self, max_epochs: int = 4096) -> None:
        super().__init__()
        self.register_buffer("traces", torch.zeros(max_epochs, dtype=torch.float32))
        self.register_buffer("count", torch.zeros((), dtype=torch.int64))

    def values(self) -> list[float]:
        return self.traces[: int(self.count)].tolist()

    def append(self, trace: float) -> None:
        index = int(self.count)
        if index >= len(self.traces):
            raise ValueError(f"strategy 'inforeg' keeps at most {len(self.traces)} epochs of Fisher traces")
        self.traces[index] = trace
        self.count += 1


@STRATEGIES.register
class InfoReg(Strategy):
    """Loss = CE(fused) + Σ_m CE(u_m), u_m = W_m z_m + b/M. Per batch, s_m = Σ_b softmax(u_m)[y] over the
    rows where m is kept; the leading modality l = argmax s gets, while the prime learning window is open,
    the extra gradient β_l·(θ − θ_epoch-start) on its encoder, β_l = β·exp(tanh(s_l − mean_{j≠l} s_j)): a
    proximal pull to its weights at the start of the epoch, added as the loss term β_l/2·‖θ − θ_start‖²
    (so mixed precision and DDP treat it like any other loss); every other gradient is untouched.

    The window: after every step the squared final gradients of each encoder weight matrix or kernel
    (parameters with ≥ 2 dimensions) are summed; at the end of an epoch the trace is Σ over those tensors of
    their mean; the window is open in an epoch while :func:`trace_change` of the traces so far exceeds
    ``threshold``. The released code measures only the audio encoder's trace; ours sums all encoders.
    Logged: ``inforeg/window`` (1 open), ``inforeg/k``, ``inforeg/beta/<m>`` (0 for the others)."""

    name = "inforeg"
    summary = "Slow the leading encoder by a proximal pull during the prime learning window (Fisher traces)."
    Params = InfoRegParams

    def __init__(self, params: InfoRegParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'inforeg' needs at least two modalities")
        self.history = FisherHistory()
        self._epoch: int | None = None
        self._anchor: dict[str, list[torch.Tensor]] = {}
        self._fisher: dict[str, torch.Tensor] = {}
        self._k = 1.0

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"fisher_history": self.history}

    def window_open(self) -> bool:
        return self._k > self.params.threshold

    @torch.no_grad()
    def _begin_epoch(self, model: MultimodalModel, epoch: int) -> None:
        """Decide the window from the traces so far and remember the epoch-start weights."""
        self._epoch = epoch
        self._fisher = {}
        self._k = trace_change(self.history.values(), self.params.span)
        self._anchor = {
            m: [p.detach().clone() for p in model.encoders[m].parameters()] for m in self.modalities
        }

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, batch = ctx.model, ctx.batch
        if ctx.epoch != self._epoch:
            self._begin_epoch(model, ctx.epoch)
        logits = summand_logits(model, ctx.output.features, batch.keep, 1 / model.num_modalities)
        uni = summand_cross_entropies(ctx.output, logits, batch.labels, batch.keep)
        ce = F.cross_entropy(ctx.fused_logits, batch.labels)
        loss = ce + uni.sum()
        with torch.no_grad():
            probs = F.softmax(logits.float(), dim=-1)
            labels = batch.labels[:, None, None].expand(-1, probs.shape[1], 1)
            score = (probs.gather(-1, labels).squeeze(-1) * batch.keep.float()).sum(0)
            beta = torch.zeros_like(score)
            if self.window_open():
                lead = int(score.argmax())
                others = torch.cat([score[:lead], score[lead + 1 :]]).mean()
                beta[lead] = self.params.beta * torch.exp(torch.tanh(score[lead] - others))
        proximal = self._proximal(model, beta)
        terms = {"loss": loss + proximal, "loss/ce": ce.detach(), **unimodal_terms(self.modalities, uni)}
        terms["inforeg/proximal"] = proximal.detach()
        terms["inforeg/window"] = torch.tensor(float(self.window_open()))
        terms["inforeg/k"] = torch.tensor(self._k)
        terms.update({f"inforeg/beta/{m}": beta[j] for j, m in enumerate(self.modalities)})
        return terms

    def _proximal(self, model: MultimodalModel, beta: torch.Tensor) -> torch.Tensor:
        """Σ_m β_m/2 ‖θ_m − θ_m(epoch start)‖², whose gradient is the released code's β·(θ − θ_start)."""
        total = beta.new_zeros(())
        for j, m in enumerate(self.modalities):
            if float(beta[j]) == 0:
                continue
            parameters = zip(model.encoders[m].parameters(), self._anchor[m], strict=True)
            total = total + beta[j] / 2 * sum((p - anchor).square().sum() for p, anchor in parameters)
        return total

    @torch.no_grad()
    def after_step(self, model: MultimodalModel, epoch: int) -> None:
        for m in self.modalities:
            for name, parameter in model.encoders[m].named_parameters():
                if parameter.grad is None or parameter.dim() < 2:
                    continue
                key = f"{m}.{name}"
                square = parameter.grad.detach().float().square()
                self._fisher[key] = square if key not in self._fisher else self._fisher[key] + square

    def after_epoch(self, model: MultimodalModel, epoch: int) -> None:
        if self._fisher:
            self.history.append(sum(float(f.mean()) for f in self._fisher.values()))
            self._fisher = {}
