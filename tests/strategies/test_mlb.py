"""mlb: the tanh-mode coefficients speed up the lagging modality's encoder and slow the leading one."""

import pytest
import torch

from core.strategies import create_strategy
from core.strategies.mlb import mlb_coefficients
from tests.strategies.demo_runs import demo_folder, train_on_demo
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model


def test_tanh_mode_coefficients_on_hand_numbers():
    ratio, coef = mlb_coefficients(torch.tensor([0.2, 0.8]), alpha=0.5, beta=10.0)
    assert ratio.tolist() == pytest.approx([4.0, 0.25])
    # lagging: 1 + 9·tanh(0.5·3); leading: 1 + tanh(0.5·(0.25 − 1))
    assert coef.tolist() == pytest.approx([9.146334, 0.641643], rel=1e-6)
    ratio, coef = mlb_coefficients(torch.tensor([0.2, 0.4, 0.6]), alpha=0.5, beta=10.0)
    assert ratio.tolist() == pytest.approx([2.5, 1.0, 0.5])  # against the mean of the other two
    assert coef.tolist() == pytest.approx([6.716341, 1.0, 0.755081], rel=1e-6)


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_encoder_and_unimodal_weight_gradients_are_scaled_by_the_coefficient(modalities):
    model = tiny_model(modalities)
    batch = tiny_batch(model)
    plain = create_strategy("multi-loss", {}, model)  # the same loss, unmodulated
    ctx = step_context(model, batch)
    plain.backward(ctx, plain.loss_terms(ctx))
    reference = gradients(model, "")
    model.zero_grad(set_to_none=True)
    strategy = create_strategy("mlb", {}, model)
    ctx = step_context(model, batch)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    scaled = gradients(model, "")
    for j, m in enumerate(modalities):
        k = float(terms[f"mlb/coef/{m}"])
        assert k != pytest.approx(1.0)
        for name, grad in scaled.items():
            if name.startswith(f"encoders.{m}.") or name == f"unimodal_heads.{j}.weight":
                torch.testing.assert_close(grad, k * reference[name])
        torch.testing.assert_close(scaled[f"unimodal_heads.{j}.bias"], reference[f"unimodal_heads.{j}.bias"])
    torch.testing.assert_close(scaled["fusion.weight"], reference["fusion.weight"])


def test_outside_the_modulation_epochs_the_coefficients_are_one():
    model = tiny_model()
    strategy = create_strategy("mlb", {"start_epoch": 2}, model)
    terms = strategy.loss_terms(step_context(model, tiny_batch(model), epoch=1))
    assert all(float(terms[f"mlb/coef/{m}"]) == 1.0 for m in "ab")


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_mlb_trains_two_epochs_on_vectors(tmp_path, modalities):
    train_briefly(tmp_path, "mlb", modalities=modalities)


def test_mlb_trains_two_epochs_on_the_demos(tmp_path_factory, tmp_path):
    for preset in ("balanced", "vectors"):
        train_on_demo(demo_folder(tmp_path_factory.getbasetemp(), preset), tmp_path / preset, "mlb")
