"""The fast valuation (one encoder pass + head-only coalitions) equals a brute-force re-run per coalition."""

import itertools
from math import factorial

import numpy as np
import pytest
import torch

from core.config import ModelConfig
from core.models.multimodal import build_model_for_data
from core.valuation.shapley import exact_shapley, monte_carlo_shapley, shapley_matrix
from core.valuation.valuate import ValuationSettings, brute_force_values, value_samples
from core.valuation.value_functions import VALUE_FUNCTIONS
from tests.synthetic import vector_data

MODALITY_SETS = {2: ("audio", "video"), 3: ("a", "b", "c"), 4: ("a", "b", "c", "d")}


def random_model(data, seed):
    torch.manual_seed(seed)
    model = build_model_for_data(data, ModelConfig(feature_dim=8))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    return model


@pytest.mark.parametrize("m", [2, 3, 4])
@pytest.mark.parametrize("value_fn", VALUE_FUNCTIONS.names())
@pytest.mark.parametrize("absence", ["feature", "input"])
def test_fast_equals_brute_force(m, value_fn, absence):
    data = vector_data(n=40, modalities=MODALITY_SETS[m], seed=m)
    model = random_model(data, seed=m)
    index = np.arange(len(data))
    settings = ValuationSettings(value_fn=value_fn, absence=absence, batch_size=16)
    fast = value_samples(model, data, index, settings, torch.device("cpu"))
    phi, values = brute_force_values(model, data, index, settings, torch.device("cpu"))
    np.testing.assert_allclose(fast.coalition_values, values, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(fast.phi, phi, rtol=1e-5, atol=1e-5)
    # Efficiency: the values of each sample sum to the grand coalition's value (v(∅) = 0).
    np.testing.assert_allclose(fast.phi.sum(axis=1), fast.coalition_values[:, -1], atol=1e-5)
    assert np.all(fast.coalition_values[:, 0] == 0)
    if value_fn in ("benefit", "accuracy"):
        assert set(np.unique(fast.coalition_values[:, -1])) <= {0.0, float(m if value_fn == "benefit" else 1)}


def test_reference_table_for_two_modalities():
    """Spec table: (fused, a-only, v-only) correctness → (φ_a, φ_v) with the benefit payoff."""
    table = {
        (1, 1, 1): (1.0, 1.0),
        (1, 1, 0): (1.5, 0.5),
        (1, 0, 1): (0.5, 1.5),
        (1, 0, 0): (1.0, 1.0),
        (0, 1, 1): (0.0, 0.0),
        (0, 1, 0): (0.5, -0.5),
        (0, 0, 1): (-0.5, 0.5),
        (0, 0, 0): (0.0, 0.0),
    }
    for (fused, a_ok, v_ok), expected in table.items():
        values = torch.tensor([[0.0, 1.0 * a_ok, 1.0 * v_ok, 2.0 * fused]])
        np.testing.assert_allclose(exact_shapley(values)[0].numpy(), expected)


@pytest.mark.parametrize("m", [2, 3, 4, 5])
def test_shapley_matrix_matches_definition(m):
    rng = np.random.default_rng(m)
    v = rng.normal(size=2**m)
    v[0] = 0
    expected = np.zeros(m)
    for j in range(m):
        others = [k for k in range(m) if k != j]
        for r in range(m):
            for subset in itertools.combinations(others, r):
                code = sum(1 << k for k in subset)
                weight = factorial(r) * factorial(m - r - 1) / factorial(m)
                expected[j] += weight * (v[code | (1 << j)] - v[code])
    np.testing.assert_allclose(v @ shapley_matrix(m), expected, atol=1e-12)


def test_monte_carlo_converges_to_exact_and_reports_error():
    m = 5
    rng = np.random.default_rng(1)
    table = torch.tensor(rng.normal(size=(3, 2**m)))
    table[:, 0] = 0
    weights = torch.tensor([1 << k for k in range(m)])

    def value_of(members):
        return table[:, (members.long() * weights).sum(dim=1)]

    exact = exact_shapley(table)
    estimate, stderr = monte_carlo_shapley(value_of, 3, m, 4000, torch.Generator().manual_seed(0))
    assert torch.all(stderr > 0)
    assert torch.all((estimate - exact).abs() < 5 * stderr + 1e-9)
    np.testing.assert_allclose(estimate.sum(dim=1), table[:, -1], atol=1e-9)


def test_many_modalities_use_monte_carlo():
    data = vector_data(n=12, modalities=tuple("abcdefghijk"), dim=3, seed=3)
    model = random_model(data, 3)
    settings = ValuationSettings(value_fn="probability", exact_max_modalities=10, mc_permutations=64)
    result = value_samples(model, data, np.arange(12), settings, torch.device("cpu"))
    assert result.method == "monte-carlo"
    assert result.phi.shape == (12, 11) and result.phi_stderr.shape == (12, 11)
    assert np.all(np.isfinite(result.phi))
