"""mla: alternating unimodal steps through one shared head, gradient projection, entropy-gated test fusion."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.mla import gating_weights, update_projector
from tests.strategies.demo_runs import demo_folder, train_on_demo
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model, train_step


def test_uncertainty_weights_on_hand_numbers():
    logits = torch.tensor([[[0.0, 0.0], [math.log(3.0), 0.0]]])  # H_a = ln 2, H_b = 0.562335
    weights = gating_weights(logits)
    assert weights[0].tolist() == pytest.approx([0.467344, 0.532656], rel=1e-5)
    fused = (weights[..., None] * logits).sum(1)
    assert fused[0].tolist() == pytest.approx([0.585183, 0.0], rel=1e-5)


def test_projector_update_on_hand_numbers():
    projector = update_projector(torch.eye(2), torch.tensor([1.0, 0.0]), alpha=0.1)
    # I − [[1, 0], [0, 0]] / 1.1, then divided by its Frobenius norm
    torch.testing.assert_close(projector, torch.tensor([[0.090536, 0.0], [0.0, 0.995893]]), atol=1e-6, rtol=0)


def test_steps_alternate_modalities_and_project_the_shared_head_gradient():
    model = tiny_model()
    strategy = create_strategy("mla", {}, model)
    optimizer = torch.optim.SGD([*model.parameters(), *strategy.shared.parameters()], lr=0.1)
    train_step(strategy, model, tiny_batch(model, seed=2), optimizer)  # step 0: modality a, no projection yet
    batch = tiny_batch(model, seed=3)
    ctx = step_context(model, batch, step=1)
    terms = strategy.loss_terms(ctx)
    assert float(terms["mla/modality"]) == 1.0
    head = strategy.shared.head
    own = F.cross_entropy(head(ctx.output.features[:, 1]), batch.labels)
    plain = torch.autograd.grad(own, head.weight, retain_graph=True)[0]
    before = strategy.shared.projector.clone()
    optimizer.zero_grad(set_to_none=True)
    strategy.backward(ctx, terms)
    steps = strategy._steps_per_epoch
    alpha = 0.1 ** ((1 % steps) / steps + 1)  # α = 0.1^(1 + position in the epoch)
    projector = update_projector(before, ctx.output.features[:, 1].detach().mean(0), alpha)
    torch.testing.assert_close(strategy.shared.projector, projector)
    torch.testing.assert_close(head.weight.grad, plain + plain @ projector.T)
    assert all(name.startswith("encoders.b.") for name in gradients(model, "encoders."))


def test_heads_are_tied_and_test_time_fusion_is_gated():
    model = tiny_model()
    strategy = create_strategy("mla", {}, model)
    optimizer = torch.optim.SGD([*model.parameters(), *strategy.shared.parameters()], lr=0.5)
    train_step(strategy, model, tiny_batch(model), optimizer)
    head = strategy.shared.head
    for unimodal in model.unimodal_heads:
        assert torch.equal(unimodal.weight, head.weight) and torch.equal(unimodal.bias, head.bias)
    torch.testing.assert_close(model.fusion.weight, torch.cat([head.weight / 2] * 2, dim=1))
    output = model(tiny_batch(model, seed=5).inputs)
    logits = torch.stack([head(output.features[:, j]) for j in range(2)], dim=1)
    expected = (gating_weights(logits)[..., None] * logits).sum(1)
    torch.testing.assert_close(strategy.evaluation_logits(model, output), expected)
    assert not torch.allclose(expected, output.logits)


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_mla_trains_on_vectors(tmp_path, modalities):
    state = train_briefly(tmp_path, "mla", modalities=modalities)
    assert int(state["extras"]["mla_head.updates"]) > 0


def test_mla_trains_two_epochs_on_the_demos(tmp_path_factory, tmp_path):
    for preset in ("balanced", "vectors"):
        train_on_demo(demo_folder(tmp_path_factory.getbasetemp(), preset), tmp_path / preset, "mla")
