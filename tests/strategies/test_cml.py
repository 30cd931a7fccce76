"""cml: cross-entropy over nested modality subsets + a penalty when losing a modality raises confidence."""

import math

import pytest
import torch
import torch.nn.functional as F

from core import events as ev
from core.strategies import create_strategy
from core.strategies.cml import calibration_terms
from tests.strategies.helpers import step_context, tiny_batch, tiny_model
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def softmax_top(logits):
    exps = [math.exp(v) for v in logits]
    return max(exps) / sum(exps)


def test_chain_and_penalty_by_hand():
    # row 0: a = [-1, 0], b = [3, 0]; row 1: a = [0, 0], b = [1, 0]; label 0; a is removed first
    summands = torch.tensor([[[-1.0, 0.0], [3.0, 0.0]], [[0.0, 0.0], [1.0, 0.0]]])
    labels = torch.tensor([0, 0])
    ce, penalty = calibration_terms(summands, torch.zeros(2), labels, order=[0, 1])
    full = [softmax_top([2.0, 0.0]), softmax_top([1.0, 0.0])]
    only_b = [softmax_top([3.0, 0.0]), softmax_top([1.0, 0.0])]
    expected_ce = (-math.log(full[0]) - math.log(full[1]) - math.log(only_b[0]) - math.log(only_b[1])) / 4
    assert math.isclose(float(ce), expected_ce, rel_tol=1e-6)
    assert math.isclose(float(penalty), (only_b[0] - full[0]) + (only_b[1] - full[1]), rel_tol=1e-5)
    # removing b first instead: only a is less confident on both rows, so no penalty
    _, penalty_b_first = calibration_terms(summands, torch.zeros(2), labels, order=[1, 0])
    assert float(penalty_b_first) == 0.0


def test_three_modalities_chain_through_two_removals():
    torch.manual_seed(0)
    summands, bias = torch.randn(5, 3, 4), torch.randn(4)
    labels = torch.randint(0, 4, (5,))
    ce, _ = calibration_terms(summands, bias, labels, order=[2, 0, 1])
    subsets = [summands.sum(1), summands[:, :2].sum(1), summands[:, 1]]
    expected = torch.stack([F.cross_entropy(s + bias, labels) for s in subsets]).mean()
    torch.testing.assert_close(ce, expected)


def test_loss_adds_lambda_times_penalty_with_one_order_per_epoch():
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("cml", {"lam": 2.0}, model)
    ctx = step_context(model, batch, epoch=0)
    terms = strategy.loss_terms(ctx)
    order = strategy.removal_order(0)
    summands = model.modality_logits(ctx.output.features)
    ce, penalty = calibration_terms(summands, model.fusion.bias, batch.labels, order)
    torch.testing.assert_close(terms["loss"], ce + 2.0 * penalty)
    assert all(strategy.removal_order(0) == order for _ in range(5))


def test_outside_its_epochs_the_loss_is_plain_cross_entropy():
    model = tiny_model()
    batch = tiny_batch(model)
    ctx = step_context(model, batch, epoch=1)
    terms = create_strategy("cml", {"start_epoch": 2}, model).loss_terms(ctx)
    torch.testing.assert_close(terms["loss"], F.cross_entropy(ctx.fused_logits, batch.labels))


def test_needs_two_modalities():
    with pytest.raises(ValueError, match="two modalities"):
        create_strategy("cml", {}, tiny_model(("a",)))


def test_engine_runs_cml_with_three_modalities(tmp_path):
    data = vector_data(n=48, modalities=("a", "b", "c"))
    _, outcome, seen = run_engine(tmp_path, small_config(name="cml"), data)
    assert not outcome.failed, of_type(seen, ev.RunFailed)
    assert "train/cml/penalty" in of_type(seen, ev.EpochMetrics)[-1].metrics
