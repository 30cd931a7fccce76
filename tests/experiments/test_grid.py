"""A 2 strategies × 2 seeds grid on a tiny demo: four run folders, a table whose intervals equal a hand
computation, finished runs skipped on a re-run, an interrupted run continued, a failing run recorded."""

import csv
import math
import os
import signal

import numpy as np
import pytest
from scipy import stats as scipy_stats

from core.config import RunConfig
from core.experiments.compare import compare_runs
from core.experiments.experiment import run_experiment
from core.experiments.outcome import read_outcome
from core.experiments.table import RESULTS_CSV, RESULTS_MD
from core.report.reader import open_report
from core.training.engine import Engine
from tests.experiments.tiny import tiny_spec

RUNS = ("vec.joint.seed0", "vec.joint.seed1", "vec.ogm-ge.seed0", "vec.ogm-ge.seed1")


def _test_outcome(run_dir):
    """The test split's (ids, correct, acc metric) at epoch 0, read straight from the report."""
    report = open_report(run_dir / "report.h5")
    valuation = report.valuation["test"]
    chosen = valuation.select(epoch=0)
    ids = report.dataset.take("ids", valuation.sample_index)
    return dict(zip(ids.tolist(), chosen.correct[0].tolist(), strict=True)), float(
        report.epoch_metrics["test/acc"][0]
    )


def _csv_rows(exp):
    with (exp / RESULTS_CSV).open(encoding="utf-8") as handle:
        return {row["strategy"]: row for row in csv.DictReader(handle)}


def test_the_grid_makes_four_finished_run_folders(grid):
    exp, results = grid
    assert sorted(r.name for r in results) == list(RUNS)
    assert {r.state for r in results} == {"finished"}
    assert sorted(p.name for p in (exp / "runs").iterdir()) == list(RUNS)
    for name in RUNS:
        assert open_report(exp / "runs" / name / "report.h5").state == "finished"
        assert (exp / "runs" / name / "checkpoints" / "last.pt").is_file()
    assert (exp / "experiment.toml").is_file() and (exp / RESULTS_MD).is_file()


def test_the_table_intervals_equal_a_hand_computation(grid):
    exp, _ = grid
    rows = _csv_rows(exp)
    t = scipy_stats.t.ppf(0.975, df=1)
    checked = 0
    for strategy in ("joint", "ogm-ge"):
        accs = np.array([_test_outcome(exp / "runs" / f"vec.{strategy}.seed{s}")[1] for s in (0, 1)])
        half = t * accs.std(ddof=1) / math.sqrt(2)
        row = rows[strategy]
        assert float(row["test_acc"]) == pytest.approx(accs.mean(), abs=1e-6)
        if half > 0:
            assert float(row["test_acc ci_low"]) == pytest.approx(accs.mean() - half, rel=1e-5)
            assert float(row["test_acc ci_high"]) == pytest.approx(accs.mean() + half, rel=1e-5)
            checked += 1
    assert checked  # the seeds differ for at least one strategy, so an interval was compared
    # the paired difference: mean over seeds of (ogm-ge − joint) accuracy on the same test samples
    differences = []
    for seed in (0, 1):
        joint, _ = _test_outcome(exp / "runs" / f"vec.joint.seed{seed}")
        other, _ = _test_outcome(exp / "runs" / f"vec.ogm-ge.seed{seed}")
        assert set(joint) == set(other)
        differences.append(np.mean([other[i] for i in joint]) - np.mean(list(joint.values())))
    assert float(rows["ogm-ge"]["d_acc"] or 0) == pytest.approx(np.mean(differences), abs=1e-6)
    low, high = float(rows["ogm-ge"]["d_acc ci_low"] or 0), float(rows["ogm-ge"]["d_acc ci_high"] or 0)
    assert low <= np.mean(differences) <= high
    assert rows["joint"]["d_acc"] == ""  # the baseline has no difference to itself
    text = (exp / RESULTS_MD).read_text(encoding="utf-8")
    assert "| joint | – | 2/2 |" in text and "(baseline)" in text


def test_compare_counts_fixed_and_broken_as_the_reports_say(grid):
    exp, _ = grid
    a, b = exp / "runs" / "vec.joint.seed0", exp / "runs" / "vec.ogm-ge.seed0"
    right_a, _ = _test_outcome(a)
    right_b, _ = _test_outcome(b)
    comparison = compare_runs(a, b)
    assert comparison.count("fixed") == sum(not right_a[i] and right_b[i] for i in right_a)
    assert comparison.count("broken") == sum(right_a[i] and not right_b[i] for i in right_a)
    assert len(comparison.a.ids) == len(right_a)


def test_running_again_skips_finished_runs_without_training(grid, monkeypatch):
    exp, _ = grid
    before = {name: (exp / "runs" / name / "report.h5").stat().st_mtime_ns for name in RUNS}
    calls = []
    monkeypatch.setattr(Engine, "run", lambda self: calls.append(self) or pytest.fail("a run trained"))
    results = run_experiment(tiny_spec(), exp, jobs=1)
    assert [r.state for r in results] == ["skipped"] * 4 and not calls
    assert before == {name: (exp / "runs" / name / "report.h5").stat().st_mtime_ns for name in RUNS}


def test_an_interrupted_grid_continues_where_it_stopped(tmp_path, monkeypatch):
    original = Engine._run_epoch
    trained: list[tuple[str, int]] = []

    def epoch_then_terminate(self, run, epoch):
        original(self, run, epoch)
        trained.append((self.run_dir.name, epoch))
        if len(trained) == 1:
            os.kill(os.getpid(), signal.SIGTERM)  # as a cluster's preemption or `kill` would

    monkeypatch.setattr(Engine, "_run_epoch", epoch_then_terminate)
    exp = tmp_path / "EXP"
    first = run_experiment(tiny_spec(epochs=2), exp, jobs=1)
    assert [(r.name, r.state) for r in first] == [("vec.joint.seed0", "stopped")]  # no other run started
    assert open_report(exp / "runs" / "vec.joint.seed0" / "report.h5").state == "stopped"
    assert read_outcome(exp / "runs" / "vec.joint.seed0").state == "stopped"

    trained.clear()
    monkeypatch.setattr(
        Engine,
        "_run_epoch",
        lambda self, run, epoch: trained.append((self.run_dir.name, epoch)) or original(self, run, epoch),
    )
    second = run_experiment(tiny_spec(epochs=2), exp, jobs=1)
    assert {r.state for r in second} == {"finished"}
    resumed = next(r for r in second if r.name == "vec.joint.seed0")
    assert resumed.start_epoch == 1
    assert [e for name, e in trained if name == "vec.joint.seed0"] == [1]  # only the epoch left
    assert sorted(e for name, e in trained if name == "vec.ogm-ge.seed1") == [0, 1]
    metrics = open_report(exp / "runs" / "vec.joint.seed0" / "report.h5").epoch_metrics
    assert metrics["epoch"].tolist() == [0, 1]


def test_a_failing_run_is_recorded_and_the_grid_completes(tmp_path, monkeypatch):
    original = Engine._run_epoch

    def fail_one(self, run, epoch):
        if self.run_dir.name == "vec.ogm-ge.seed1":
            raise RuntimeError("boom")
        original(self, run, epoch)

    monkeypatch.setattr(Engine, "_run_epoch", fail_one)
    exp = tmp_path / "EXP"
    results = {r.name: r for r in run_experiment(tiny_spec(), exp, jobs=1)}
    assert [results[name].state for name in RUNS] == ["finished", "finished", "finished", "failed"]
    assert results["vec.ogm-ge.seed1"].error == "RuntimeError: boom"
    assert read_outcome(exp / "runs" / "vec.ogm-ge.seed1").error == "RuntimeError: boom"
    text = (exp / RESULTS_MD).read_text(encoding="utf-8")
    assert "| ogm-ge | – | 1/2 |" in text and "- vec.ogm-ge.seed1: RuntimeError: boom" in text


def test_a_run_started_from_another_runs_encoders_runs_after_it(tmp_path):
    spec = tiny_spec(strategies=("ensemble", "joint"), seeds=(0,))
    spec.strategies[1].init_from = "ensemble"
    results = run_experiment(spec.validate(), tmp_path / "EXP", jobs=2)
    assert [r.name for r in results] == ["vec.ensemble.seed0", "vec.joint.seed0"]
    assert {r.state for r in results} == {"finished"}
    runs = tmp_path / "EXP" / "runs"
    config = RunConfig.from_toml((runs / "vec.joint.seed0" / "config.toml").read_text(encoding="utf-8"))
    assert config.model.init_encoders_from == str(runs / "vec.ensemble.seed0" / "checkpoints" / "best.pt")
