"""`mmcosine`: Multi-Modal Cosine loss (Xu et al., ICASSP 2023; docs/methods.md)."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, Strategy, check_param


@dataclass(frozen=True)
class MMCosineParams:
    """s = 10, the authors' default (``MMCosine_ICASSP23`` ``main_CD.py`` L59); BalanceBenchmark uses 15."""

    scaling: float = field(
        default=10.0, metadata={"help": "scale s of the cosine logits s·Σ_m cos(z_m, W_m[c])"}
    )

    def __post_init__(self) -> None:
        check_param("mmcosine", "scaling", self.scaling > 0, "a number > 0", self.scaling)


@STRATEGIES.register
class MMCosine(Strategy):
    """Fused cross-entropy on cosine logits: logits[c] = s · Σ_m cos(z_m, W_m[c]), features and each
    modality's class weights L2-normalised, no bias (``MMCosine_ICASSP23`` ``main_CD.py`` L113-118,
    BalanceBenchmark ``balancemm/trainer/MMCosine_trainer.py`` L112-131). The strategy sets the model's
    ``cosine_scale``, so training, evaluation and valuation all use the same cosine head. Difference from
    the code: the cosine head is used in every epoch (the benchmark's ``modulation_starts/ends`` window is
    not offered, its default covers the whole run)."""

    name = "mmcosine"
    summary = "Cosine fusion logits: features and per-modality class weights normalised, times a scale."
    Params = MMCosineParams

    @classmethod
    def prepare_model(cls, model: MultimodalModel, params: MMCosineParams) -> None:
        model.cosine_scale = params.scaling
