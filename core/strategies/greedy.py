"""`greedy`: balanced multi-modal learning against greedy learning (Wu et al., ICML 2022; docs/methods.md#greedy).

Schedule and defaults follow nyukat/greedy_multimodal_learning ``src/callbacks.py``
(``Bias_Mitigation_Strong.on_backward_end``) and ``configs/training_guided.gin`` (ε 0.01, window 5, start
epoch 2 of its 1-based loop); BalanceBenchmark ``balancemm/trainer/Greedy_trainer.py`` L80-98 runs the
same schedule. The imbalance signal is the paper's conditional utilisation rate, exact for ModaLens's
additive head (the released code needs its MMTM bypass for its learning-speed proxy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, StepContext, Strategy, check_param


@dataclass(frozen=True)
class GreedyParams:
    """ε = 0.01, window 5, first epoch 1 (0-based; the released configs' epoch 2 of a 1-based loop)."""

    epsilon: float = field(
        default=0.01, metadata={"help": "ε: re-balance when max − min conditional utilisation rate exceeds it"}
    )
    window: int = field(default=5, metadata={"help": "re-balancing steps once triggered (curation window)"})
    start_epoch: int = field(default=1, metadata={"help": "first epoch (0-based) that may re-balance"})

    def __post_init__(self) -> None:
        check_param("greedy", "epsilon", self.epsilon >= 0, "a number >= 0", self.epsilon)
        check_param("greedy", "window", self.window >= 1, "an integer >= 1", self.window)
        check_param("greedy", "start_epoch", self.start_epoch >= 0, "an integer >= 0", self.start_epoch)


def utilisation_rates(correct_all: torch.Tensor, correct_without: torch.Tensor) -> torch.Tensor:
    """Conditional utilisation rate of each modality [M]: u_m = (A(all) − A(all \\ m)) / A(all), from the
    numbers of correct predictions with every modality (a scalar) and with m left out ([M])."""
    return (correct_all - correct_without) / correct_all.clamp_min(1)


class GreedyState(nn.Module):
    """Running counts of correct predictions (all modalities; each one left out), the curation mode and its
    step count (buffers: a resumed run continues with them)."""

    correct_all: torch.Tensor
    correct_without: torch.Tensor
    caring: torch.Tensor
    curation_step: torch.Tensor

    def __init__(self, modalities: int) -> None:
        super().__init__()
        self.register_buffer("correct_all", torch.zeros((), dtype=torch.float64))
        self.register_buffer("correct_without", torch.zeros(modalities, dtype=torch.float64))
        self.register_buffer("caring", torch.tensor(-1, dtype=torch.int64))
        self.register_buffer("curation_step", torch.zeros((), dtype=torch.int64))


@STRATEGIES.register
class Greedy(Strategy):
    """Regular steps: CE(fused). After each regular step the counts of correct fused predictions with all
    modalities and with each one left out (exact coalition logits of the additive head, features of the left
    out modality at the zero baseline) are added to running totals since training began, giving the
    conditional utilisation rates u (:func:`utilisation_rates`). From ``start_epoch`` on, when max u − min u
    > ε the least-utilised modality c = argmin u becomes the caring modality for ``window`` re-balancing
    steps, whose loss is CE of the fused head with only c present: c must predict without leaning on the
    others, as the released re-balancing step cuts c's branch off from the other modality. With M = 2 the
    trigger is the paper's |u(m0|m1) − u(m1|m0)| > ε; with M ≥ 3 u_m conditions on all the others.
    Logged: ``greedy/util/<m>``, ``greedy/caring`` (−1 in regular steps)."""

    name = "greedy"
    summary = "Conditional utilisation rates; when imbalanced, re-balancing steps on the under-used modality alone."
    Params = GreedyParams

    def __init__(self, params: GreedyParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'greedy' needs at least two modalities")
        self.state = GreedyState(len(self.modalities))

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"greedy_state": self.state}

    def rates(self) -> torch.Tensor:
        return utilisation_rates(self.state.correct_all, self.state.correct_without)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        model, labels, keep = ctx.model, ctx.batch.labels, ctx.batch.keep
        caring = int(self.state.caring)
        features = model.mask_features(ctx.output.features, keep)
        if caring >= 0:
            alone = F.one_hot(torch.tensor([caring], device=keep.device), model.num_modalities)
            loss = F.cross_entropy(model.coalition_logits(features, alone)[:, 0], labels)
        else:
            loss = F.cross_entropy(ctx.fused_logits, labels)
        terms = {"loss": loss, "loss/ce": loss.detach(), "greedy/caring": torch.tensor(float(caring))}
        rates = self.rates()
        terms.update({f"greedy/util/{m}": rates[j].float() for j, m in enumerate(self.modalities)})
        self._observe(model, features.detach(), labels, ctx.epoch, regular=caring < 0)
        return terms

    @torch.no_grad()
    def _observe(
        self, model: MultimodalModel, features: torch.Tensor, labels: torch.Tensor, epoch: int, regular: bool
    ) -> None:
        """Count this batch (regular steps), then decide the next step's mode as the released callback does."""
        state = self.state
        if not regular:
            state.curation_step += 1
            if int(state.curation_step) >= self.params.window:
                state.caring.fill_(-1)
            return
        members = 1 - torch.eye(model.num_modalities, device=features.device)
        members = torch.cat([torch.ones(1, model.num_modalities, device=features.device), members])
        correct = (model.coalition_logits(features, members).argmax(-1) == labels[:, None]).sum(0).double()
        state.correct_all += correct[0]
        state.correct_without += correct[1:]
        rates = self.rates()
        if epoch >= self.params.start_epoch and float(rates.max() - rates.min()) > self.params.epsilon:
            state.caring.fill_(int(rates.argmin()))
            state.curation_step.zero_()
