"""A tiny experiment: the vectors demo (40 samples, 6 of them in the test split), 1 epoch on the CPU."""

from __future__ import annotations

from core.config import RunConfig
from core.experiments.spec import DatasetSpec, ExperimentSpec, StrategySpec

STRATEGIES = ("joint", "ogm-ge")


def tiny_spec(
    epochs: int = 1, strategies: tuple[str, ...] = STRATEGIES, seeds: tuple[int, ...] = (0, 1)
) -> ExperimentSpec:
    protocol = RunConfig()
    protocol.optim.epochs = epochs
    protocol.optim.batch_size = 8
    protocol.runtime.device = "cpu"
    protocol.runtime.mi_every_steps = 0
    protocol.runtime.log_every_steps = 0
    spec = ExperimentSpec(
        name="tiny",
        seeds=list(seeds),
        datasets=[DatasetSpec(name="vec", demo="vectors", samples=40)],
        strategies=[StrategySpec(name=name) for name in strategies],
        protocol=protocol,
    )
    return spec.validate()
