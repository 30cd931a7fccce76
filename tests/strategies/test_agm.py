"""agm: encoder gradients are scaled by exp(α·(r* − r)), r from the Shapley-contribution losses."""

import math

import pytest
import torch
import torch.nn.functional as F

from core import events as ev
from core.strategies import create_strategy
from core.strategies.agm import coefficients, modality_scores
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def test_coefficients_slow_the_modality_ahead_of_its_usual_standing():
    # scores are losses: a (1.0) is ahead of b (2.0); running means equal, so r* = 1
    k = coefficients(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 1.5]), alpha=1.0, cap=10.0)
    expected = [math.exp(1 - math.exp(1.0)), math.exp(1 - math.exp(-1.0))]
    torch.testing.assert_close(k, torch.tensor(expected))
    assert k[0] < 1 < k[1]
    capped = coefficients(torch.tensor([1.0, 2.0]), torch.tensor([1.5, 1.5]), alpha=1.0, cap=0.5)
    assert math.isclose(float(capped[1]), math.exp(0.5), rel_tol=1e-6)


def test_three_modalities_use_the_mean_of_the_others():
    scores, running = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([2.0, 2.0, 2.0])
    k = coefficients(scores, running, alpha=0.5, cap=10.0)
    ratio = [math.exp(1.5 * (2.0 - s)) for s in (1.0, 2.0, 3.0)]
    torch.testing.assert_close(k, torch.tensor([math.exp(0.5 * (1 - r)) for r in ratio]))


def test_scores_are_the_losses_of_the_shapley_contributions():
    model = tiny_model()
    batch = tiny_batch(model)
    with torch.no_grad():
        features = model.encode(batch.inputs)
        scores = modality_scores(model, features, batch.labels, batch.keep)
        v = model.coalition_logits(features, torch.tensor([[0, 0], [1, 0], [0, 1], [1, 1]]))
        shapley_a = 0.5 * ((v[:, 1] - v[:, 0]) + (v[:, 3] - v[:, 2]))
        shapley_b = 0.5 * ((v[:, 2] - v[:, 0]) + (v[:, 3] - v[:, 1]))
    expected = torch.stack([F.cross_entropy(s, batch.labels) for s in (shapley_a, shapley_b)])
    torch.testing.assert_close(scores, expected, rtol=1e-5, atol=1e-5)


def test_encoder_gradients_are_scaled_by_their_coefficient():
    model = tiny_model()
    batch = tiny_batch(model)
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(batch.inputs).logits, batch.labels).backward()
    reference = gradients(model, "encoders.")
    strategy = create_strategy("agm", {}, model)
    model.zero_grad(set_to_none=True)
    ctx = step_context(model, batch)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    got = gradients(model, "encoders.")
    coefficient = {m: float(terms[f"agm/coef/{m}"]) for m in model.modalities}
    assert min(coefficient.values()) < 1 < max(coefficient.values())
    for name, grad in got.items():
        m = name.split(".")[1]
        factor = coefficient[m] if grad.dim() > 1 else 1.0
        torch.testing.assert_close(grad, reference[name] * factor)


def test_running_scores_are_the_mean_over_all_steps():
    model = tiny_model()
    strategy = create_strategy("agm", {}, model)
    seen = []
    for seed in (1, 2, 3):
        terms = strategy.loss_terms(step_context(model, tiny_batch(model, seed=seed)))
        seen.append([float(terms["agm/score/a"]), float(terms["agm/score/b"])])
    torch.testing.assert_close(strategy.running.mean, torch.tensor(seen).mean(0))
    assert int(strategy.running.steps) == 3


def test_needs_two_modalities():
    with pytest.raises(ValueError, match="two modalities"):
        create_strategy("agm", {}, tiny_model(("a",)))


def test_engine_runs_agm(tmp_path):
    _, outcome, seen = run_engine(tmp_path, small_config(name="agm", alpha=0.1), vector_data(n=48))
    assert not outcome.failed, of_type(seen, ev.RunFailed)
    assert "train/agm/coef/b" in of_type(seen, ev.EpochMetrics)[-1].metrics
