"""inforeg: the leading encoder is pulled to its epoch-start weights only inside the prime learning window."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.inforeg import trace_change
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model, train_step


def test_trace_change_on_hand_numbers():
    assert trace_change([], span=10) == 1.0
    assert trace_change([2.0], span=10) == 1.0  # (0.2 − 0) / 0.2
    assert trace_change([2.0, 2.0], span=10) == pytest.approx(0.5)  # (0.4 − 0.2) / 0.4
    assert trace_change([1.0, 2.0, 3.0], span=2) == pytest.approx(0.4)  # (2.5 − 1.5) / 2.5
    assert trace_change([1.0] * 11, span=10) == 0.0  # flat: the window has closed


def plain_gradients(model, batch):
    """Gradients of CE(fused) + Σ_m CE(W_m z_m + b/2), written out independently."""
    model.zero_grad(set_to_none=True)
    output = model(batch.inputs)
    weights = model.fusion.weight.view(model.num_classes, 2, model.feature_dim)
    loss = F.cross_entropy(output.logits, batch.labels)
    scores = []
    for j in range(2):
        logits = output.features[:, j] @ weights[:, j].T + model.fusion.bias / 2
        loss = loss + F.cross_entropy(logits, batch.labels)
        probs = F.softmax(logits.detach(), -1)
        scores.append(float(probs[torch.arange(len(batch.labels)), batch.labels].sum()))
    loss.backward()
    return gradients(model, ""), scores


def test_inside_the_window_only_the_leading_encoder_gets_the_proximal_gradient():
    model = tiny_model()
    strategy = create_strategy("inforeg", {}, model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    first = tiny_batch(model, seed=3)
    train_step(strategy, model, first, optimizer, epoch=0)  # moves θ away from the epoch-start weights
    start = {m: [p.detach().clone() for p in strategy._anchor[m]] for m in model.modalities}
    batch = tiny_batch(model, seed=4)
    reference, scores = plain_gradients(model, batch)
    lead = max(range(2), key=lambda j: scores[j])
    beta = 0.95 * math.exp(math.tanh(scores[lead] - scores[1 - lead]))

    model.zero_grad(set_to_none=True)
    ctx = step_context(model, batch, epoch=0)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    assert float(terms["inforeg/window"]) == 1.0
    assert float(terms[f"inforeg/beta/{model.modalities[lead]}"]) == pytest.approx(beta, rel=1e-5)
    assert float(terms[f"inforeg/beta/{model.modalities[1 - lead]}"]) == 0.0
    for j, m in enumerate(model.modalities):
        for (name, parameter), anchor in zip(model.encoders[m].named_parameters(), start[m], strict=True):
            expected = reference[f"encoders.{m}.{name}"]
            if j == lead:
                assert not torch.equal(parameter.detach(), anchor)
                expected = expected + beta * (parameter.detach() - anchor)
            torch.testing.assert_close(parameter.grad, expected)
    torch.testing.assert_close(model.fusion.weight.grad, reference["fusion.weight"])


def test_outside_the_window_gradients_are_plain():
    model = tiny_model()
    strategy = create_strategy("inforeg", {}, model)
    for _ in range(11):
        strategy.history.append(1.0)  # a flat Fisher trace: k = 0
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    train_step(strategy, model, tiny_batch(model, seed=3), optimizer, epoch=11)
    batch = tiny_batch(model, seed=4)
    reference, _ = plain_gradients(model, batch)
    model.zero_grad(set_to_none=True)
    ctx = step_context(model, batch, epoch=11)
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    assert float(terms["inforeg/window"]) == 0.0 and float(terms["inforeg/proximal"]) == 0.0
    for name, grad in reference.items():
        torch.testing.assert_close(gradients(model, "")[name], grad)


def test_an_epochs_fisher_trace_is_the_sum_over_weight_tensors_of_mean_squared_gradients():
    model = tiny_model()
    strategy = create_strategy("inforeg", {}, model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    squares = {}
    for seed in (3, 4):
        train_step(strategy, model, tiny_batch(model, seed=seed), optimizer, epoch=0)
        for name, parameter in model.encoders.named_parameters():
            if parameter.dim() >= 2:
                squares[name] = squares.get(name, 0) + parameter.grad.square()
    strategy.after_epoch(model, 0)
    expected = sum(float(s.mean()) for s in squares.values())
    assert strategy.history.values() == [pytest.approx(expected, rel=1e-6)]


def test_three_modalities_lead_against_the_mean_of_the_others():
    model = tiny_model(("a", "b", "c"))
    strategy = create_strategy("inforeg", {}, model)
    terms = strategy.loss_terms(step_context(model, tiny_batch(model)))
    assert sum(float(terms[f"inforeg/beta/{m}"]) > 0 for m in "abc") == 1


def test_inforeg_trains_end_to_end_and_a_resumed_run_keeps_its_traces(tmp_path):
    state = train_briefly(tmp_path, "inforeg")
    traces = state["extras"]["fisher_history.traces"][:2]
    assert int(state["extras"]["fisher_history.count"]) == 2 and bool((traces > 0).all())
    resumed = train_briefly(tmp_path, "inforeg", epochs=3, resume=True)
    assert int(resumed["extras"]["fisher_history.count"]) == 3
    torch.testing.assert_close(resumed["extras"]["fisher_history.traces"][:2], traces)
