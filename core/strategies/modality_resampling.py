"""`modality-resampling`: copies of random samples keeping only the weaker modality, in proportion to the
gap between the modalities' mean contributions on a random subset (Wei et al., CVPR 2024;
docs/methods.md, section modality-resampling)."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations

import numpy as np

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, EpochContext, PlannedCopies, Strategy, check_param
from core.strategies.sample_resampling import check_valuation

GAP_FUNCTIONS = ("linear", "tanh", "square")


def resampling_ratio(mean_phi: np.ndarray, alpha: float = 1.0, function: str = "linear") -> float:
    """p from the mean contributions: g = (2/3)·gap, gap = |φ̄_1 − φ̄_2| (M > 2: mean pairwise gap).

    linear: α·g; tanh: tanh(α·g); square: α·g^1.5 (the released code's "square" uses the power 1.5).
    """
    pairs = list(combinations(range(len(mean_phi)), 2))
    gap = float(np.mean([abs(mean_phi[i] - mean_phi[j]) for i, j in pairs]))
    scaled = gap / 3 * 2  # this order keeps e.g. gap 0.75 → 0.5 exact, as in the released code
    if function == "linear":
        return alpha * scaled
    if function == "tanh":
        return float(np.tanh(alpha * scaled))
    if function == "square":
        return alpha * scaled**1.5
    raise ValueError(f"unknown gap function {function!r}; known: {', '.join(GAP_FUNCTIONS)}")


@dataclass(frozen=True)
class ModalityResamplingParams:
    """Reference defaults: warm-up 5, part_ratio 0.2, α = 1, linear. The subset is drawn with replacement as
    in the released code, but each distinct sample is valued once and φ̄ is the mean over distinct samples
    (the code averages over the draws, duplicates counted). The factor 2/3 assumes the benefit-payoff scale
    (for M ≠ 2 that payoff is |S|-weighted); the rule is kept as stated for any M and value function."""

    warmup_epochs: int = field(
        default=5, metadata={"help": "epochs of plain joint training before re-sampling"}
    )
    part_ratio: float = field(
        default=0.2, metadata={"help": "fraction of the training set drawn (with replacement) for valuation"}
    )
    alpha: float = field(default=1.0, metadata={"help": "α, strength of the re-sampling"})
    function: str = field(
        default="linear", metadata={"help": "function of the contribution gap: 'linear', 'tanh' or 'square'"}
    )

    def __post_init__(self) -> None:
        name = "modality-resampling"
        check_param(name, "warmup_epochs", self.warmup_epochs >= 0, "an integer >= 0", self.warmup_epochs)
        check_param(name, "part_ratio", 0 < self.part_ratio <= 1, "a fraction in (0, 1]", self.part_ratio)
        check_param(name, "alpha", self.alpha >= 0, "a number >= 0", self.alpha)
        check_param(
            name, "function", self.function in GAP_FUNCTIONS, f"one of {GAP_FUNCTIONS}", self.function
        )


@STRATEGIES.register
class ModalityResampling(Strategy):
    """Plain fused cross-entropy. After each epoch only a random part of the training set is valued. From
    epoch ``warmup_epochs`` on, int(p·N) uniformly drawn training samples (with replacement) are added,
    each keeping only the modality with the lowest mean contribution."""

    name = "modality-resampling"
    uses_valuation = True
    summary = "Re-sample the weaker modality in proportion to the gap in mean contributions."
    Params = ModalityResamplingParams

    def __init__(self, params: ModalityResamplingParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        if len(self.modalities) < 2:
            raise ValueError("strategy 'modality-resampling' needs at least two modalities")

    def valuation_subset(self, epoch: int, train_index: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        draws = max(1, int(len(train_index) * self.params.part_ratio))
        return np.unique(rng.choice(train_index, size=draws, replace=True))

    def plan_copies(self, ctx: EpochContext) -> PlannedCopies:
        valuation = ctx.latest_valuation
        if ctx.epoch < self.params.warmup_epochs or valuation is None or len(valuation.phi) == 0:
            return PlannedCopies.none()
        check_valuation(self.name, valuation, self.modalities)
        mean_phi = valuation.phi.astype(np.float64).mean(axis=0)
        p = resampling_ratio(mean_phi, self.params.alpha, self.params.function)
        count = int(p * len(ctx.train_index))
        if count == 0:
            return PlannedCopies.none()
        samples, copies = np.unique(
            ctx.rng.choice(ctx.train_index, size=count, replace=True), return_counts=True
        )
        weaker = int(np.argmin(mean_phi))
        return PlannedCopies(
            samples.astype(np.int64), np.full(len(samples), weaker, np.int64), copies.astype(np.int64)
        )
