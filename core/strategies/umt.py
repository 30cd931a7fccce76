"""`umt`: Uni-Modal Teacher (Du et al., ICML 2023): distil unimodal teachers' features into the encoders.

Follows BalanceBenchmark `balancemm/trainer/UMT_trainer.py` L38-53 (teachers from unimodal runs) and L129-147
(loss); docs/methods.md#umt. Teachers named by ``teachers_from`` are read through the loader the run passes
to ``create_strategy`` (this module does not read checkpoints itself).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, EncoderLoader, StepContext, Strategy, check_param


@dataclass(frozen=True)
class UMTParams:
    """``scaling`` 10 is BalanceBenchmark's UMT default. The teachers are either trained first in the same
    run (``teacher_epochs``, each encoder with its own linear head, as the `unimodal` runs the benchmark
    loads) or read from ``teachers_from``, a checkpoint whose encoders were trained unimodally (e.g. an
    `ensemble` run); then there is no teacher phase."""

    scaling: float = field(default=10.0, metadata={"help": "weight of the feature MSE to the teachers"})
    teacher_epochs: int = field(
        default=3, metadata={"help": "epochs that train the unimodal teachers before the student"}
    )
    teachers_from: str = field(
        default="", metadata={"help": "checkpoint with unimodally trained encoders to use as teachers"}
    )

    def __post_init__(self) -> None:
        check_param("umt", "scaling", self.scaling >= 0, "a weight >= 0", self.scaling)
        check_param("umt", "teacher_epochs", self.teacher_epochs >= 0, "an integer >= 0", self.teacher_epochs)


class Teachers(nn.Module):
    """One encoder and one linear head per modality, a copy of the student's architecture."""

    def __init__(self, model: MultimodalModel) -> None:
        super().__init__()
        self.encoders = copy.deepcopy(model.encoders)
        self.heads = nn.ModuleDict(
            {m: nn.Linear(model.feature_dim, model.num_classes) for m in model.modalities}
        )


@STRATEGIES.register
class UMT(Strategy):
    """Teacher phase (epochs < teacher_epochs, only without ``teachers_from``): Σ_m CE(head_m(T_m(x_m))) over
    the rows where m is kept trains the teachers alone; the student is left as initialised (its fused head
    is not trained, its unimodal heads are probed as always). Then, the teachers frozen in eval mode:
    loss = CE(fused) + scaling · Σ_m MSE(z_m, T_m(x_m)), the mean squared error over the kept rows and
    the d feature dimensions (BalanceBenchmark ``UMT_trainer.py``). Logged: ``umt/mse/<m>`` or
    ``loss/teacher/<m>``."""

    name = "umt"
    summary = "Distil the features of unimodal teachers into the multimodal model's encoders."
    Params = UMTParams

    def __init__(self, params: UMTParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        self.teachers = Teachers(model)
        self._teachers_read = not params.teachers_from

    def load_weights(self, load_encoders: EncoderLoader) -> None:
        if self.params.teachers_from:
            load_encoders(self.teachers, self.params.teachers_from)
            self._teachers_read = True

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"teachers": self.teachers}

    def teaching(self, epoch: int) -> bool:
        return not self.params.teachers_from and epoch < self.params.teacher_epochs

    def trains_fused_head(self, epoch: int) -> bool:
        return not self.teaching(epoch)

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        if not self._teachers_read:
            raise RuntimeError(
                f"umt: teachers_from {self.params.teachers_from} was never read (create the strategy with a loader)"
            )
        batch = ctx.batch
        keep = batch.keep.to(ctx.output.features.dtype)
        rows = keep.sum(0).clamp_min(1)
        if self.teaching(ctx.epoch):
            self.teachers.train()
            terms, total = {}, ctx.output.features.new_zeros(())
            for j, m in enumerate(self.modalities):
                logits = self.teachers.heads[m](self.teachers.encoders[m](batch.inputs[m]))
                loss = (F.cross_entropy(logits, batch.labels, reduction="none") * keep[:, j]).sum() / rows[j]
                total = total + loss
                terms[f"loss/teacher/{m}"] = loss.detach()
            return {"loss": total, **terms}
        self.teachers.eval()
        with torch.no_grad():
            targets = torch.stack([self.teachers.encoders[m](batch.inputs[m]) for m in self.modalities], 1)
        squared = (ctx.output.features - targets.to(ctx.output.features.dtype)).square().mean(-1)
        mse = (squared * keep).sum(0) / rows
        ce = F.cross_entropy(ctx.fused_logits, batch.labels)
        terms = {"loss": ce + self.params.scaling * mse.sum(), "loss/ce": ce.detach()}
        terms.update({f"umt/mse/{m}": mse[j].detach() for j, m in enumerate(self.modalities)})
        return terms
