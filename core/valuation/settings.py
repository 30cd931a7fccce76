"""The valuation settings of a run, built from its config in one place (training and valuing afterwards)."""

from __future__ import annotations

from core.config import RunConfig
from core.valuation.valuate import ValuationSettings


def valuation_settings(
    config: RunConfig, value_fn: str | None = None, absence: str | None = None, seed: int = 0
) -> ValuationSettings:
    """``config.valuation`` as :class:`ValuationSettings`; ``value_fn`` and ``absence`` replace the run's
    when given. ``seed`` draws the Monte-Carlo permutations (a training run passes its own)."""
    section = config.valuation
    return ValuationSettings(
        value_fn=value_fn or section.value_fn,
        absence=absence or section.absence,
        exact_max_modalities=section.exact_max_modalities,
        mc_permutations=section.mc_permutations,
        batch_size=section.batch_size,
        seed=seed,
    )
