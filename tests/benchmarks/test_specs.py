"""Every experiment spec kept under benchmarks/ still loads and validates (strategies, parameters, grids,
``init_from``), so a recorded protocol can be run again as written."""

from pathlib import Path

import pytest

from core.experiments.grid import expand
from core.experiments.spec import ExperimentSpec

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SPECS = sorted(p for p in BENCHMARKS.rglob("*.toml") if "[[strategies]]" in p.read_text(encoding="utf-8"))


def test_the_recorded_protocols_are_found():
    assert {"checkset.toml", "per-sample.toml", "greedy.toml", "mcr-sweep.toml"} <= {p.name for p in SPECS}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(BENCHMARKS)))
def test_spec_loads_and_expands(path, tmp_path):
    """Expanding builds every run's config, strategy parameters and grid values included."""
    spec = ExperimentSpec.load(path)
    assert spec.strategies and spec.datasets and spec.seeds
    assert expand(spec, tmp_path)
