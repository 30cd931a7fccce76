"""opm: the dominant modality is dropped with q = q_base·(1 + α·tanh(relu(ρ − 1))), the others are kept."""

import math

import pytest
import torch
import torch.nn.functional as F

from core import events as ev
from core.strategies import create_strategy
from core.strategies.opm import drop_features, drop_probabilities
from tests.strategies.helpers import step_context, tiny_batch, tiny_model
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def test_drop_probability_follows_the_discrepancy_ratio():
    q = drop_probabilities(torch.tensor([3.0, 1.0]), alpha=0.5, q_base=0.4)
    assert math.isclose(float(q[0]), 0.4 * (1 + 0.5 * math.tanh(3.0 / (1 + 1e-5) - 1)), rel_tol=1e-6)
    assert float(q[1]) == 0.0
    # three modalities: the ratio is against the SUM of the others (4 / (1 + 1) − 1 = 1)
    q3 = drop_probabilities(torch.tensor([4.0, 1.0, 1.0]), alpha=0.5, q_base=0.4)
    assert math.isclose(float(q3[0]), 0.4 * (1 + 0.5 * math.tanh(4.0 / (2 + 1e-5) - 1)), rel_tol=1e-6)
    assert q3[1:].tolist() == [0.0, 0.0]
    assert float(drop_probabilities(torch.tensor([3.0, 1.0]), alpha=5.0, q_base=0.4)[0]) == 1.0  # clipped


def test_dominant_modality_is_dropped_with_its_probability_and_kept_ones_rescaled():
    torch.manual_seed(0)
    rows = 4000
    features = torch.ones(rows, 2, 5)
    q = torch.tensor([0.6, 0.0])
    scaled, kept = drop_features(features, q)
    dropped = 1 - kept[:, 0].mean()
    assert abs(float(dropped) - 0.6) < 4 * math.sqrt(0.6 * 0.4 / rows)
    assert kept[:, 1].all()
    scale = 1 / (1 - 0.3 + 1e-5)
    torch.testing.assert_close(scaled[:, 1], torch.full((rows, 5), scale))
    torch.testing.assert_close(scaled[:, 0], kept[:, :1].expand(-1, 5) * scale)


def test_modulated_loss_is_the_fused_cross_entropy_of_the_dropped_features():
    model = tiny_model()
    batch = tiny_batch(model, size=64)
    strategy = create_strategy("opm", {"p_exe": 1.0, "q_base": 0.9}, model)
    ctx = step_context(model, batch)
    torch.manual_seed(3)
    terms = strategy.loss_terms(ctx)
    q = torch.stack([terms["opm/drop_prob/a"], terms["opm/drop_prob/b"]])
    assert float(terms["opm/modulated"]) == 1.0 and (q > 0).sum() == 1
    torch.manual_seed(3)
    torch.rand(())  # the batch-level draw against p_exe
    scaled, kept = drop_features(ctx.output.features, q)
    rows = kept.sum(1) > 0
    expected = F.cross_entropy(model.fuse(scaled[rows]), batch.labels[rows])
    torch.testing.assert_close(terms["loss"], expected)
    assert not torch.allclose(expected, F.cross_entropy(ctx.fused_logits, batch.labels))


def test_unmodulated_batches_use_the_plain_fused_loss():
    model = tiny_model()
    batch = tiny_batch(model)
    ctx = step_context(model, batch)
    for params, epoch in (({"p_exe": 0.0}, 0), ({"start_epoch": 2}, 1)):
        terms = create_strategy("opm", params, model).loss_terms(step_context(model, batch, epoch))
        torch.testing.assert_close(terms["loss"], F.cross_entropy(ctx.fused_logits, batch.labels))


def test_needs_two_modalities():
    with pytest.raises(ValueError, match="two modalities"):
        create_strategy("opm", {}, tiny_model(("a",)))


def test_engine_runs_opm(tmp_path):
    _, outcome, seen = run_engine(tmp_path, small_config(name="opm", p_exe=1.0), vector_data(n=48))
    assert not outcome.failed, of_type(seen, ev.RunFailed)
    assert "train/opm/drop_prob/a" in of_type(seen, ev.EpochMetrics)[-1].metrics
