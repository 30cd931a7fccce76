"""Every experiment spec kept under benchmarks/ still loads and validates (strategies, parameters, grids,
``init_from``), so a recorded protocol can be run again as written."""

from pathlib import Path

import pytest

from core.experiments.spec import ExperimentSpec

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SPECS = sorted(p for p in BENCHMARKS.rglob("*.toml") if "[[strategies]]" in p.read_text(encoding="utf-8"))


def test_the_recorded_protocols_are_found():
    assert {"checkset.toml", "per-sample.toml", "greedy.toml", "mcr-sweep.toml"} <= {p.name for p in SPECS}


@pytest.mark.parametrize("path", SPECS, ids=lambda p: str(p.relative_to(BENCHMARKS)))
def test_spec_loads(path):
    spec = ExperimentSpec.load(path)
    assert spec.strategies and spec.datasets and spec.seeds
