"""benchmarks/strategies.toml, the strategy benchmark as an experiment spec: every registered strategy,
the five demo datasets, re-sampling warm-up and uni-pretrain pre-training a third of each dataset's epochs."""

from pathlib import Path

from core.experiments.grid import expand
from core.experiments.spec import ExperimentSpec
from core.strategies import STRATEGIES

SPEC = Path(__file__).resolve().parents[2] / "benchmarks" / "strategies.toml"


def test_the_benchmark_spec_covers_every_strategy_under_one_protocol(tmp_path):
    spec = ExperimentSpec.load(SPEC)
    assert [s.name for s in spec.strategies] == STRATEGIES.names()  # a new strategy must join the benchmark
    cells = expand(spec, tmp_path)
    assert len(cells) == 5 * len(STRATEGIES.names()) * 3
    thirds = {
        "sample-resampling": "warmup_epochs",
        "modality-resampling": "warmup_epochs",
        "uni-pretrain": "pretrain_epochs",
    }
    for cell in cells:
        config = cell.config
        assert config.optim.epochs == (16 if cell.dataset.startswith("vectors") else 8)
        assert config.valuation.value_fn == "benefit" and "test" in config.valuation.splits
        if cell.strategy in thirds:
            assert config.strategy.params == {thirds[cell.strategy]: round(config.optim.epochs / 3)}
        else:
            assert config.strategy.params == {}
