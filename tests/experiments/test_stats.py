"""The table's statistics against independent implementations: scipy's t quantile, the engine's
macro-F1, and bootstrap intervals on cases whose answer is known."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from core.experiments import stats
from core.training.metrics import macro_f1


@pytest.mark.parametrize("df", [1, 2, 3, 4, 7, 15, 40, 200])
@pytest.mark.parametrize("p", [0.9, 0.975, 0.995])
def test_t_quantile_matches_scipy(p, df):
    assert stats.t_quantile(p, df) == pytest.approx(scipy_stats.t.ppf(p, df), rel=1e-9)


def test_t_interval_is_mean_plus_minus_t_times_standard_error():
    values = [0.61, 0.70, 0.64, float("nan")]
    interval = stats.t_interval(values)
    data = np.array(values[:3])
    half = scipy_stats.t.ppf(0.975, 2) * data.std(ddof=1) / np.sqrt(3)
    assert (interval.value, interval.low, interval.high) == pytest.approx(
        (data.mean(), data.mean() - half, data.mean() + half)
    )
    assert np.isnan(stats.t_interval([0.5]).low) and stats.t_interval([0.5]).value == 0.5


def test_replicate_macro_f1_equals_the_engines():
    rng = np.random.default_rng(3)
    arrays = {"labels": rng.integers(0, 4, 50), "prediction": rng.integers(0, 5, 50)}
    idx = rng.integers(0, 50, (20, 50))
    got = stats.macro_f1(arrays, idx)
    want = [macro_f1(arrays["labels"][row], arrays["prediction"][row], 5) for row in idx]
    assert got == pytest.approx(want)


def test_paired_bootstrap_of_identical_runs_is_exactly_zero():
    rng = np.random.default_rng(0)
    run = {"correct": rng.random(30) > 0.5}
    interval = stats.paired_bootstrap([(run, run), (run, run)], stats.accuracy, 500)
    assert (interval.value, interval.low, interval.high) == (0.0, 0.0, 0.0) and not interval.significant


def test_paired_bootstrap_of_one_seed_matches_the_normal_approximation():
    rng = np.random.default_rng(1)
    a = {"correct": rng.random(400) < 0.6}
    b = {"correct": a["correct"] | (rng.random(400) < 0.3)}  # B fixes about a third of A's errors
    interval = stats.paired_bootstrap([(a, b)], stats.accuracy, 4000)
    d = b["correct"].astype(float) - a["correct"]
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert interval.value == pytest.approx(d.mean())
    assert interval.low == pytest.approx(d.mean() - 1.96 * se, abs=0.01)
    assert interval.high == pytest.approx(d.mean() + 1.96 * se, abs=0.01)
    assert interval.significant
