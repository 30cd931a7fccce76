"""lfm: 2·(α_cls CE + α_align JS) with α_align moved once per epoch by the trainer's Hessian-vector step."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.lfm import fitted_cls_weight, jensen_shannon_alignment
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import step_context, tiny_batch, tiny_model


def kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q, strict=True))


def test_alignment_is_the_released_js_form_with_the_mixture_first():
    logits = torch.tensor([[[0.0, 0.0], [math.log(9), 0.0]]])  # p = (1/2, 1/2), q = (9/10, 1/10)
    p, q = (0.5, 0.5), (0.9, 0.1)
    middle = (0.7, 0.3)
    expected = 0.5 * (kl(middle, p) + kl(middle, q))  # F.kl_div(p.log(), m) is KL(m ‖ p)
    assert float(jensen_shannon_alignment(logits)) == pytest.approx(expected, rel=1e-6)


def test_fitted_schedule_weights_the_losses_by_the_authors_polynomial():
    assert fitted_cls_weight(0) == pytest.approx(0.204623704)
    terms_at_10 = (0.2046237, 0.0335473, 0.0122990, -0.0029295, 0.0002238, -0.0000054)  # c_i · 10^i
    assert fitted_cls_weight(10) == pytest.approx(sum(terms_at_10))
    model = tiny_model()
    batch = tiny_batch(model)
    ctx = step_context(model, batch, epoch=0)
    terms = create_strategy("lfm", {"schedule": "fitted"}, model).loss_terms(ctx)
    weights = model.fusion.weight.view(model.num_classes, 2, model.feature_dim)
    features = ctx.output.features
    u = torch.stack([features[:, j] @ weights[:, j].T + model.fusion.bias / 2 for j in range(2)], 1)
    ce = F.cross_entropy(ctx.output.logits, batch.labels)
    expected = 2 * (0.204623704 * ce + (1 - 0.204623704) * jensen_shannon_alignment(u))
    torch.testing.assert_close(terms["loss"], expected)


def loss_total(model, inputs, labels, alpha):
    output = model(inputs)
    weights = model.fusion.weight.view(model.num_classes, 2, model.feature_dim)
    u = torch.stack([output.features[:, j] @ weights[:, j].T + model.fusion.bias / 2 for j in range(2)], 1)
    ce = F.cross_entropy(output.logits, labels)
    return ce, (1 - alpha) * ce + alpha * jensen_shannon_alignment(u)


class TotalLoss(torch.nn.Module):
    """L_total(θ) as a module, so that torch.func can differentiate it in forward mode."""

    def __init__(self, model, alpha):
        super().__init__()
        self.model, self.alpha = model, alpha

    def forward(self, inputs, labels):
        return loss_total(self.model, inputs, labels, self.alpha)[1]


def test_learnable_step_moves_alpha_by_the_mean_hessian_vector_product_of_the_first_tensor():
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("lfm", {"lr_alpha": 0.5, "probe_fraction": 0.5}, model)
    inputs = {m: x[:8] for m, x in batch.inputs.items()}
    labels = batch.labels[:8]

    # independent: forward-over-reverse (jvp of the gradient) along v = ∇CE, torch.func
    total = TotalLoss(model, 0.05)
    names = [n for n, _ in total.named_parameters()]
    params = tuple(p.detach() for p in total.parameters())
    ce, _ = loss_total(model, inputs, labels, 0.05)
    ce_grads = torch.autograd.grad(ce, list(model.parameters()), allow_unused=True)
    direction = tuple(torch.zeros_like(p) if g is None else g for p, g in zip(params, ce_grads, strict=True))

    def loss(*values):
        return torch.func.functional_call(total, dict(zip(names, values, strict=True)), (inputs, labels))

    def first_gradient(*values):
        return torch.func.grad(loss, argnums=0)(*values)

    _, hvp = torch.func.jvp(first_gradient, params, direction)
    estimate = float(hvp.mean())
    terms = strategy.loss_terms(step_context(model, batch, epoch=0))
    assert 0.05 < 0.05 - 0.5 * estimate < 0.95  # not clipped, so the step itself is visible
    assert float(terms["lfm/alpha_align"]) - 0.05 == pytest.approx(-0.5 * estimate, rel=1e-3)
    # once per epoch: a second step of the same epoch keeps α
    again = strategy.loss_terms(step_context(model, batch, epoch=0))
    assert float(again["lfm/alpha_align"]) == float(terms["lfm/alpha_align"])


def test_alpha_stays_in_its_range_and_its_learning_rate_halves_every_20_epochs():
    model = tiny_model()
    strategy = create_strategy("lfm", {"lr_alpha": 1e6}, model)
    batch = tiny_batch(model)
    strategy.loss_terms(step_context(model, batch, epoch=0))
    assert float(strategy.state.alpha_align) in (pytest.approx(0.05), pytest.approx(0.95))
    strategy.loss_terms(step_context(model, batch, epoch=20))
    assert float(strategy.state.lr_alpha) == 5e5


def test_lfm_trains_end_to_end_and_keeps_alpha_in_the_checkpoint(tmp_path):
    state = train_briefly(tmp_path, "lfm")
    assert 0.05 <= float(state["extras"]["lfm_weights.alpha_align"]) <= 0.95
    assert int(state["extras"]["lfm_weights.updated_epoch"]) == 1
