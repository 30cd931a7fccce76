"""arl: weights from inverse prediction entropy and dependence; encoder gradients scaled by 1 + w once on."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.arl import arl_weights
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model


def entropy(row):
    exps = [math.exp(v) for v in row]
    probs = [e / sum(exps) for e in exps]
    return -sum(p * math.log(p) for p in probs)


def test_weights_are_proportional_to_inverse_entropy_and_use_the_other_modality_dependence():
    # two rows, modality a confident (logits ±2), modality b hesitant (±0.5)
    logits = torch.tensor([[[2.0, 0.0], [0.5, 0.0]], [[0.0, 2.0], [0.0, 0.5]]])
    stats = arl_weights(logits, torch.ones(2, 2), temperature=8.0, entropy_floor=0.0)
    h_a, h_b = entropy([2.0, 0.0]), entropy([0.5, 0.0])
    v_a, v_b = (1 / h_a) / (1 / h_a + 1 / h_b), (1 / h_b) / (1 / h_a + 1 / h_b)
    torch.testing.assert_close(stats["inverse_variance"], torch.tensor([v_a, v_b]))
    assert stats["inverse_variance"][0] / stats["inverse_variance"][1] == pytest.approx(h_b / h_a)
    d_a, d_b = 2 / 2.5, 0.5 / 2.5  # Σ_c mean_b |u|: 2 and 0.5
    torch.testing.assert_close(stats["dependence"], torch.tensor([d_a, d_b]))
    s_a, s_b = d_b * v_a, d_a * v_b  # the other modality's dependence times the own inverse variance
    w_a = math.exp(8 * s_a) / (math.exp(8 * s_a) + math.exp(8 * s_b))
    torch.testing.assert_close(stats["weight"], torch.tensor([w_a, 1 - w_a]))


def test_entropy_floor_clamps_the_normalised_entropy():
    logits = torch.tensor([[[4.0, 0.0], [0.1, 0.0]]])
    stats = arl_weights(logits, torch.ones(1, 2), temperature=1.0, entropy_floor=0.3)
    h_a, h_b = entropy([4.0, 0.0]), entropy([0.1, 0.0])
    share_a = max(h_a / (h_a + h_b), 0.3)  # 0.13 → 0.3
    share_b = h_b / (h_a + h_b)
    expected = torch.tensor([1 / share_a, 1 / share_b]) / (1 / share_a + 1 / share_b)
    torch.testing.assert_close(stats["inverse_variance"], expected)


def arl_step(epoch, params=None):
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("arl", {"start_epoch": 2, **(params or {})}, model)
    ctx = step_context(model, batch, epoch)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    return model, batch, terms, gradients(model, "")


def reference_gradients(model, batch, gamma):
    """Plain gradients of CE(fused) + γ Σ_m CE(W_m z_m + b), written out independently."""
    model.zero_grad(set_to_none=True)
    output = model(batch.inputs)
    weights = model.fusion.weight.view(model.num_classes, 2, model.feature_dim)
    loss = F.cross_entropy(output.logits, batch.labels)
    for j in range(2):
        logits = output.features[:, j] @ weights[:, j].T + model.fusion.bias
        loss = loss + gamma * F.cross_entropy(logits, batch.labels)
    loss.backward()
    return gradients(model, ""), loss.detach()


def test_after_start_each_encoder_gradient_is_scaled_by_one_plus_its_weight():
    model, batch, terms, got = arl_step(epoch=2)
    reference, loss = reference_gradients(model, batch, gamma=4.0)
    torch.testing.assert_close(terms["loss"].detach(), loss)
    for name, grad in reference.items():
        if name.startswith("encoders."):
            m = name.split(".")[1]
            torch.testing.assert_close(got[name], grad * (1 + terms[f"arl/weight/{m}"]))
        else:
            torch.testing.assert_close(got[name], grad)
    assert sum(float(terms[f"arl/weight/{m}"]) for m in model.modalities) == pytest.approx(1.0)


def test_before_start_the_unimodal_weight_is_one_and_gradients_are_plain():
    model, batch, terms, got = arl_step(epoch=1)
    reference, loss = reference_gradients(model, batch, gamma=1.0)
    torch.testing.assert_close(terms["loss"].detach(), loss)
    for name, grad in reference.items():
        torch.testing.assert_close(got[name], grad)


def test_three_modalities_and_one_modality():
    model = tiny_model(("a", "b", "c"))
    strategy = create_strategy("arl", {}, model)
    terms = strategy.loss_terms(step_context(model, tiny_batch(model)))
    assert sum(float(terms[f"arl/weight/{m}"]) for m in "abc") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="at least two modalities"):
        create_strategy("arl", {}, tiny_model(("a",)))


def test_arl_trains_end_to_end(tmp_path):
    train_briefly(tmp_path, "arl", {"start_epoch": 1})
