"""mbsd: pairwise distillation weighted by the gap of the true-class probabilities, as in the trainer."""

import math
from itertools import combinations

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.mbsd import pair_terms
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import step_context, tiny_batch, tiny_model


def test_pair_terms_on_hand_numbers():
    logits_i = torch.tensor([[0.0, 0.0], [0.0, 0.0]])
    logits_j = torch.tensor([[math.log(3), 0.0], [math.log(3), 0.0]])
    labels = torch.tensor([0, 1])
    # row 0: p_i = 1/2, p_j = 3/4 and j is right → w = 1/4; row 1: p_i = 1/2, p_j = 1/4, both wrong → w = 0
    regression, divergence = pair_terms(logits_i, logits_j, labels, torch.ones(2))
    assert float(regression) == pytest.approx(0.25 * (math.log(3) ** 2 / 2) / 2)
    assert float(divergence) == pytest.approx(0.25 * 0.5 * (math.log(0.5) - 0.75) / 2)


def test_rows_left_out_do_not_count():
    logits_i = torch.tensor([[0.0, 0.0], [5.0, 0.0]])
    logits_j = torch.tensor([[math.log(3), 0.0], [0.0, 0.0]])
    regression, _ = pair_terms(logits_i, logits_j, torch.tensor([0, 0]), torch.tensor([1.0, 0.0]))
    assert float(regression) == pytest.approx(0.25 * (math.log(3) ** 2 / 2))


def summands(model, output):
    weights = model.fusion.weight.view(model.num_classes, model.num_modalities, model.feature_dim)
    bias = model.fusion.bias / model.num_modalities
    return [output.features[:, j] @ weights[:, j].T + bias for j in range(model.num_modalities)]


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_loss_is_fused_and_unimodal_ce_plus_the_pair_average(modalities):
    model = tiny_model(modalities)
    batch = tiny_batch(model)
    ctx = step_context(model, batch)
    terms = create_strategy("mbsd", {}, model).loss_terms(ctx)
    u = summands(model, ctx.output)
    pairs = [pair_terms(u[i], u[j], batch.labels, torch.ones(16)) for i, j in combinations(range(len(u)), 2)]
    regression = sum(p[0] for p in pairs) / len(pairs)
    divergence = sum(p[1] for p in pairs) / len(pairs)
    expected = F.cross_entropy(ctx.output.logits, batch.labels)
    expected = expected + sum(F.cross_entropy(x, batch.labels) for x in u)
    torch.testing.assert_close(terms["loss"], expected + regression + divergence)
    torch.testing.assert_close(terms["mbsd/rs"], regression.detach())
    assert float(terms["mbsd/rs"]) > 0


def test_outside_its_epochs_mbsd_is_plain_fused_cross_entropy():
    model = tiny_model()
    batch = tiny_batch(model)
    ctx = step_context(model, batch, epoch=3)
    terms = create_strategy("mbsd", {"end_epoch": 2}, model).loss_terms(ctx)
    torch.testing.assert_close(terms["loss"], F.cross_entropy(ctx.output.logits, batch.labels))


def test_mbsd_trains_end_to_end(tmp_path):
    train_briefly(tmp_path, "mbsd")
