"""The SLURM backend through submitit's local executor: one task per run, the same run folders, and a
second run of the grid submits nothing."""

import io

import pytest

from core.experiments.experiment import run_experiment
from core.report.reader import open_report
from tests.experiments.tiny import tiny_spec

pytest.importorskip("submitit")


def test_the_submitit_backend_runs_each_cell_as_a_task(tmp_path):
    exp = tmp_path / "EXP"
    spec = tiny_spec(strategies=("joint",), seeds=(0, 1))
    stream = io.StringIO()
    results = run_experiment(spec, exp, backend="slurm", cluster="local", stream=stream)
    names = ["vec.joint.seed0", "vec.joint.seed1"]
    assert sorted((r.name, r.state) for r in results) == [(name, "finished") for name in names]
    assert "submitted job array" in stream.getvalue() and "(2 tasks)" in stream.getvalue()
    for name in names:
        assert open_report(exp / "runs" / name / "report.h5").state == "finished"
    assert any((exp / "slurm").iterdir())  # submitit's task folders: pickles and logs
    assert (exp / "results.md").is_file()

    again = run_experiment(spec, exp, backend="slurm", cluster="local", stream=io.StringIO())
    assert again == []  # every run finished: nothing submitted
