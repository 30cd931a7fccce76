"""The tiny 2 strategies × 2 seeds grid, trained once for every test module of this package that reads it."""

import pytest

from core.experiments.experiment import run_experiment
from tests.experiments.tiny import tiny_spec


@pytest.fixture(scope="package")
def grid(tmp_path_factory):
    """(EXP folder, run results) of :func:`tests.experiments.tiny.tiny_spec` run to the end, one run at a time."""
    exp = tmp_path_factory.mktemp("grid") / "EXP"
    results = run_experiment(tiny_spec(), exp, jobs=1)
    return exp, results
