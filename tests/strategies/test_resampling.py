"""sample- and modality-resampling plan exactly the copies docs/methods.md prescribes (sample-resampling, modality-resampling)."""

import numpy as np
import pytest

from core.strategies import create_strategy
from core.strategies.base import EpochContext
from core.strategies.modality_resampling import resampling_ratio
from core.strategies.sample_resampling import copies_for
from core.valuation.result import ValuationResult
from tests.strategies.helpers import tiny_model


def valuation(sample_index, phi, modalities=("a", "b")):
    phi = np.asarray(phi, dtype=np.float32)
    n, m = phi.shape
    return ValuationResult(
        epoch=4,
        split="train",
        value_fn="benefit",
        modalities=list(modalities),
        sample_index=np.asarray(sample_index),
        phi=phi,
        coalition_values=np.zeros((n, 2**m), np.float32),
        prediction=np.zeros(n, np.int64),
        correct=np.ones(n, bool),
    )


def context(epoch, train_index, result, seed=0):
    return EpochContext(epoch, np.asarray(train_index), result, np.random.default_rng(seed))


def test_step_rule_on_its_boundaries():
    phi = np.array([1.5, 1.0, 0.99, 0.41, 0.4, 0.0, -0.09, -0.1, -0.5])
    assert copies_for(phi, "step").tolist() == [0, 0, 1, 1, 2, 2, 2, 3, 3]


def test_linear_rule_equals_the_step_rule_on_the_benefit_support():
    support = np.array([-0.5, 0.0, 0.5, 1.0, 1.5])
    assert copies_for(support, "linear").tolist() == copies_for(support, "step").tolist() == [3, 2, 1, 0, 0]
    assert copies_for(np.array([0.75, 0.2, -1.0]), "linear").tolist() == [1, 2, 4]


def test_sample_resampling_adds_the_step_rule_copies_after_warm_up():
    model = tiny_model()
    strategy = create_strategy("sample-resampling", {}, model)
    # the benefit payoff for M = 2 (docs/methods.md, "Value functions"): (φ_a, φ_v) for each outcome
    phi = [[1.0, 1.0], [1.5, 0.5], [0.5, 1.5], [0.0, 0.0], [0.5, -0.5], [-0.5, 0.5]]
    result = valuation([10, 11, 12, 13, 14, 15], phi)
    train = np.arange(10, 16)
    for epoch in range(5):
        assert strategy.plan_copies(context(epoch, train, result)).total == 0
    plan = strategy.plan_copies(context(5, train, result))
    got = {
        (int(s), int(m)): int(c)
        for s, m, c in zip(plan.sample_index, plan.modality, plan.copies, strict=True)
    }
    assert got == {
        (11, 1): 1,
        (12, 0): 1,
        (13, 0): 2,
        (13, 1): 2,
        (14, 0): 1,
        (14, 1): 3,
        (15, 0): 3,
        (15, 1): 1,
    }
    assert plan.total == 14


def test_sample_resampling_ignores_samples_outside_the_training_set_and_missing_valuations():
    model = tiny_model()
    strategy = create_strategy("sample-resampling", {"warmup_epochs": 0}, model)
    result = valuation([1, 2], [[0.0, 0.0], [0.0, 0.0]])
    plan = strategy.plan_copies(context(3, [2, 3], result))
    assert plan.sample_index.tolist() == [2, 2] and plan.total == 4
    assert strategy.plan_copies(context(0, [2, 3], None)).total == 0


def test_sample_resampling_rejects_a_valuation_of_other_modalities():
    strategy = create_strategy("sample-resampling", {}, tiny_model())
    with pytest.raises(ValueError, match="modalities"):
        strategy.plan_copies(context(6, [0], valuation([0], [[1.0, 1.0]], ("b", "a"))))


def test_modality_resampling_values_only_a_subset_drawn_with_replacement():
    strategy = create_strategy("modality-resampling", {}, tiny_model())
    train = np.arange(100, 600)
    subset = strategy.valuation_subset(0, train, np.random.default_rng(0))
    assert np.all(np.isin(subset, train)) and np.all(np.diff(subset) > 0)
    assert 80 < len(subset) < 100  # 100 draws with replacement from 500: some repeat


def test_modality_resampling_adds_int_p_n_copies_of_the_weaker_modality():
    strategy = create_strategy("modality-resampling", {}, tiny_model())
    train = np.arange(300)
    result = valuation(np.arange(20), np.tile([[1.25, 0.5]], (20, 1)))
    assert strategy.plan_copies(context(4, train, result)).total == 0
    plan = strategy.plan_copies(context(5, train, result))
    assert plan.total == 150  # p = α·(2/3)·0.75 = 0.5, N = 300
    assert set(plan.modality.tolist()) == {1}
    assert np.all(np.isin(plan.sample_index, train))
    assert len(np.unique(plan.sample_index)) == len(plan.sample_index)


@pytest.mark.parametrize(
    ("function", "expected"),
    [("linear", 0.4), ("tanh", np.tanh(0.4)), ("square", 0.4**1.5)],
)
def test_gap_functions(function, expected):
    assert resampling_ratio(np.array([0.7, 1.3]), 1.0, function) == pytest.approx(expected)


def test_more_than_two_modalities_use_the_mean_pairwise_gap():
    # gaps 0.5, 1.125, 0.625 → mean 0.75 → p = 0.5 with α = 1, linear
    assert resampling_ratio(np.array([1.5, 1.0, 0.375]), 1.0, "linear") == 0.5
    model = tiny_model(("a", "b", "c"))
    strategy = create_strategy("modality-resampling", {"alpha": 0.5}, model)
    result = valuation(np.arange(5), np.tile([[1.0, 1.5, 0.375]], (5, 1)), ("a", "b", "c"))
    plan = strategy.plan_copies(context(5, np.arange(100), result))
    assert plan.total == 25 and set(plan.modality.tolist()) == {2}
