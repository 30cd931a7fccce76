"""ogm-ge: the dominant encoder's weight gradients are scaled by k < 1, the other's are left alone; GE adds
noise; biases and normalisation parameters keep their gradients (as the released code)."""

import math

import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model


def plain_gradients(model, batch):
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(batch.inputs).logits, batch.labels).backward()
    return gradients(model, "encoders.")


def expected_ratio(model, batch):
    """ρ_m = s_m / s_other with s_m = Σ_batch softmax(W_m z_m + b/2)[y], written out for two modalities."""
    with torch.no_grad():
        features = model.encode(batch.inputs)
        weights = model.fusion.weight.view(model.num_classes, 2, model.feature_dim)
        scores = []
        for j in range(2):
            logits = features[:, j] @ weights[:, j].T + model.fusion.bias / 2
            scores.append(F.softmax(logits, -1)[torch.arange(len(batch.labels)), batch.labels].sum())
    return torch.stack([scores[0] / scores[1], scores[1] / scores[0]])


def modulated(params, seed=0, epoch=0):
    model = tiny_model(seed=seed)
    batch = tiny_batch(model, seed=seed + 1)
    reference = plain_gradients(model, batch)
    strategy = create_strategy("ogm-ge", params, model)
    model.zero_grad(set_to_none=True)
    ctx = step_context(model, batch, epoch)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    return model, batch, terms, reference, gradients(model, "encoders.")


def test_dominant_encoder_scaled_below_one_other_left_unchanged():
    model, batch, terms, reference, got = modulated({"ge": False})
    ratio = expected_ratio(model, batch)
    dominant = int(ratio.argmax())
    for j, m in enumerate(model.modalities):
        torch.testing.assert_close(terms[f"ogm/ratio/{m}"], ratio[j])
        coefficient = float(terms[f"ogm/coef/{m}"])
        if j == dominant:
            assert math.isclose(coefficient, 1 - math.tanh(float(ratio[j])), rel_tol=1e-5)
            assert coefficient < 1
        else:
            assert coefficient == 1.0
        for name, grad in got.items():
            if name.startswith(f"encoders.{m}."):
                scale = coefficient if grad.dim() >= 2 else 1.0
                torch.testing.assert_close(grad, reference[name] * scale)


def test_shifted_coefficient_is_continuous_at_one():
    model, batch, terms, _, _ = modulated({"ge": False, "coefficient": "shifted", "alpha": 2.0})
    ratio = expected_ratio(model, batch)
    for j, m in enumerate(model.modalities):
        expected = 1 - math.tanh(2.0 * max(float(ratio[j]) - 1, 0.0))
        assert math.isclose(float(terms[f"ogm/coef/{m}"]), expected, rel_tol=1e-5)


def test_no_modulation_outside_its_epochs():
    _, _, terms, reference, got = modulated({"start_epoch": 2}, epoch=1)
    assert all(float(terms[k]) == 1.0 for k in terms if k.startswith("ogm/coef/"))
    for name, grad in got.items():
        torch.testing.assert_close(grad, reference[name])


def test_generalisation_enhancement_adds_noise_with_the_gradient_std():
    model, _, terms, reference, got = modulated({"ge": True})
    name = "encoders.a.net.0.weight"  # 128 × 6 entries
    coefficient = float(terms["ogm/coef/a"])
    noise = got[name] - reference[name] * coefficient
    assert noise.abs().max() > 0
    assert 0.8 < float(noise.std() / reference[name].std()) < 1.2


def test_biases_keep_their_gradients_even_with_noise():
    """Only weight tensors (convolution kernels, linear weights) are modulated and perturbed."""
    _, _, terms, reference, got = modulated({"ge": True, "alpha": 5.0})
    assert any(float(terms[k]) < 1 for k in terms if k.startswith("ogm/coef/"))
    vectors = [name for name in got if got[name].dim() == 1]
    assert vectors
    for name in vectors:
        torch.testing.assert_close(got[name], reference[name], rtol=0, atol=0)
