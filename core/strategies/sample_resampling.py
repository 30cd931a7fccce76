"""`sample-resampling`: per (sample, modality) extra single-modality copies from the latest Shapley values
(Wei, Feng, Wang, Hu, CVPR 2024; docs/methods.md, section sample-resampling)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from core.strategies.base import STRATEGIES, EpochContext, PlannedCopies, Strategy, check_param
from core.valuation.result import ValuationResult

COPY_RULES = ("step", "linear")


def copies_for(phi: np.ndarray, rule: str = "step") -> np.ndarray:
    """Number of extra copies k(φ) for each contribution φ (same shape, int64).

    "step" (the reference): 0.4 < φ < 1 → 1; −0.1 < φ ≤ 0.4 → 2; φ ≤ −0.1 → 3; φ ≥ 1 → 0.
    "linear": k = max(0, round_half_up(2·(1 − φ))); equal to "step" on the two-modality benefit support
    {−0.5, 0, 0.5, 1, 1.5}, and defined for continuous (soft-payoff) values, without the cap at 3.
    """
    phi = np.asarray(phi, dtype=np.float64)
    if rule == "step":
        return np.select([phi >= 1, phi > 0.4, phi > -0.1], [0, 1, 2], default=3).astype(np.int64)
    if rule == "linear":
        return np.maximum(0, np.floor(2 * (1 - phi) + 0.5)).astype(np.int64)
    raise ValueError(f"unknown copy rule {rule!r}; known: {', '.join(COPY_RULES)}")


def check_valuation(strategy: str, valuation: ValuationResult, modalities: list[str]) -> None:
    """The valuation must be over the model's modalities, in the model's order."""
    if list(valuation.modalities) != modalities:
        raise ValueError(
            f"strategy {strategy!r}: the valuation's modalities {valuation.modalities} differ from the "
            f"model's {modalities}"
        )


@dataclass(frozen=True)
class SampleResamplingParams:
    """Warm-up 5 epochs and the reference step rule (paper and released code). The thresholds are on the
    scale of the reference "benefit" payoff (v(S) = |S| if right): with M = 2 a sample's values sum to 2
    when the fused prediction is right. For M ≠ 2 or other value functions the same thresholds apply to
    whatever scale those values have (for M > 2 the benefit payoff is |S|-weighted, so φ sums to M)."""

    warmup_epochs: int = field(
        default=5, metadata={"help": "epochs of plain joint training before re-sampling"}
    )
    rule: str = field(
        default="step",
        metadata={
            "help": "copies per (sample, modality) from φ: 'step' (reference) or 'linear' (round(2(1-φ)))"
        },
    )

    def __post_init__(self) -> None:
        check_param(
            "sample-resampling",
            "warmup_epochs",
            self.warmup_epochs >= 0,
            "an integer >= 0",
            self.warmup_epochs,
        )
        check_param("sample-resampling", "rule", self.rule in COPY_RULES, f"one of {COPY_RULES}", self.rule)


@STRATEGIES.register
class SampleResampling(Strategy):
    """Plain fused cross-entropy. From epoch ``warmup_epochs`` on, before each epoch, every valued training
    sample i and modality j gets k(φ_ij) extra copies keeping only modality j, from the valuation after the
    previous epoch. No copies while no valuation exists."""

    name = "sample-resampling"
    uses_valuation = True
    summary = "Re-sample each (sample, modality) with copies decreasing in its Shapley contribution."
    Params = SampleResamplingParams

    def plan_copies(self, ctx: EpochContext) -> PlannedCopies:
        valuation = ctx.latest_valuation
        if ctx.epoch < self.params.warmup_epochs or valuation is None:
            return PlannedCopies.none()
        check_valuation(self.name, valuation, self.modalities)
        copies = copies_for(valuation.phi, self.params.rule)
        copies[~np.isin(valuation.sample_index, ctx.train_index)] = 0
        rows, modality = np.nonzero(copies)
        return PlannedCopies(
            np.asarray(valuation.sample_index, np.int64)[rows],
            modality.astype(np.int64),
            copies[rows, modality],
        )
