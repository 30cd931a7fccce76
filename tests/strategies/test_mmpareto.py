"""mmpareto: conflicting gradients are integrated into a common descent direction with the summed magnitude."""

import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.mmpareto import pareto_combine
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model


def test_conflicting_gradients_give_a_direction_good_for_both():
    generator = torch.Generator().manual_seed(0)
    conflicts = 0
    for _ in range(200):
        g_mm, g_u = torch.randn(2, 20, generator=generator) * torch.rand(2, 1, generator=generator) * 3
        combined = pareto_combine(g_mm, g_u)
        torch.testing.assert_close(combined.norm(), (g_mm + g_u).norm())
        if torch.dot(g_mm, g_u) < 0:
            conflicts += 1
            assert torch.dot(combined, g_mm) >= -1e-5 and torch.dot(combined, g_u) >= -1e-5
        else:
            torch.testing.assert_close(combined, g_mm + g_u)
    assert conflicts > 50


def test_min_norm_point_for_opposite_unequal_gradients():
    g_mm = torch.tensor([1.0, 0.0])
    g_u = torch.tensor([-1.0, 1.0])
    combined = pareto_combine(g_mm, g_u)
    # min-norm point of the segment: w = 0.6 → (0.2, 0.4), orthogonal to g_mm - g_u
    direction = torch.tensor([0.2, 0.4])
    torch.testing.assert_close(combined, direction / direction.norm() * (g_mm + g_u).norm())


def separate_gradients(model, batch):
    """Reference gradients of the fused CE and of the unimodal CEs, each from its own backward pass."""
    model.zero_grad(set_to_none=True)
    F.cross_entropy(model(batch.inputs).logits, batch.labels).backward()
    fused = gradients(model, "")
    model.zero_grad(set_to_none=True)
    uni = model(batch.inputs).unimodal_logits
    sum(F.cross_entropy(uni[:, j], batch.labels) for j in range(2)).backward()
    unimodal = gradients(model, "")
    model.zero_grad(set_to_none=True)
    return fused, unimodal


def test_encoders_get_the_integrated_gradient_and_heads_their_plain_ones():
    model = tiny_model(seed=3)
    batch = tiny_batch(model, seed=4)
    fused, unimodal = separate_gradients(model, batch)
    strategy = create_strategy("mmpareto", {}, model)
    ctx = step_context(model, batch)
    strategy.backward(ctx, strategy.loss_terms(ctx))
    got = gradients(model, "")
    for m in model.modalities:
        names = [n for n, _ in model.named_parameters() if n.startswith(f"encoders.{m}.")]
        g_mm = torch.cat([fused[n].flatten() for n in names])
        g_u = torch.cat([unimodal[n].flatten() for n in names])
        torch.testing.assert_close(torch.cat([got[n].flatten() for n in names]), pareto_combine(g_mm, g_u))
    torch.testing.assert_close(got["fusion.weight"], fused["fusion.weight"])
    torch.testing.assert_close(got["unimodal_heads.1.weight"], unimodal["unimodal_heads.1.weight"])


def test_a_scaled_loss_scales_every_gradient():
    model = tiny_model(seed=3)
    batch = tiny_batch(model, seed=4)
    strategy = create_strategy("mmpareto", {"gamma": 1.5}, model)
    ctx = step_context(model, batch)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    plain = gradients(model, "")
    model.zero_grad(set_to_none=True)
    ctx = step_context(model, batch)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, {**terms, "loss": terms["loss"] * 1024.0})  # what a GradScaler passes
    for name, grad in gradients(model, "").items():
        torch.testing.assert_close(grad, plain[name] * 1024.0)
