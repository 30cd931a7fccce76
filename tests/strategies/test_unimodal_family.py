"""multi-loss, unimodal, ensemble and uni-pretrain: the behaviour that defines each."""

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from tests.strategies.helpers import step_context, tiny_batch, tiny_model, train_step


def test_multi_loss_is_fused_ce_plus_weighted_unimodal_ce():
    model = tiny_model()
    batch = tiny_batch(model)
    ctx = step_context(model, batch)
    terms = create_strategy("multi-loss", {"lambda_uni": 0.5}, model).loss_terms(ctx)
    expected = F.cross_entropy(ctx.output.logits, batch.labels) + 0.5 * sum(
        F.cross_entropy(ctx.output.unimodal_logits[:, j], batch.labels) for j in range(2)
    )
    torch.testing.assert_close(terms["loss"], expected)
    torch.testing.assert_close(
        terms["loss/uni/b"], F.cross_entropy(ctx.output.unimodal_logits[:, 1], batch.labels)
    )


def test_unimodal_losses_skip_rows_where_the_modality_is_absent():
    model = tiny_model()
    keep = torch.ones(16, 2)
    keep[:4, 0] = 0  # four re-sampled copies keeping only b
    batch = tiny_batch(model, keep=keep)
    ctx = step_context(model, batch)
    terms = create_strategy("multi-loss", {}, model).loss_terms(ctx)
    expected_a = F.cross_entropy(ctx.output.unimodal_logits[4:, 0], batch.labels[4:])
    torch.testing.assert_close(terms["loss/uni/a"], expected_a)


def test_unimodal_never_changes_the_other_encoder_even_with_weight_decay():
    model = tiny_model()
    strategy = create_strategy("unimodal", {"modality": "b"}, model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2, weight_decay=1e-2)
    frozen = {k: v.clone() for k, v in model.encoders["a"].state_dict().items()}
    trained = {k: v.clone() for k, v in model.encoders["b"].state_dict().items()}
    batch = tiny_batch(model)
    for _ in range(3):
        train_step(strategy, model, batch, optimizer)
    for key, value in model.encoders["a"].state_dict().items():
        assert torch.equal(value, frozen[key])
    assert any(not torch.equal(v, trained[k]) for k, v in model.encoders["b"].state_dict().items())
    # the fused prediction no longer depends on modality a at all
    shifted = dict(batch.inputs, a=batch.inputs["a"] + 5.0)
    torch.testing.assert_close(model(shifted).logits, model(batch.inputs).logits)


def test_unimodal_defaults_to_the_first_modality_and_rejects_unknown_names():
    model = tiny_model()
    assert create_strategy("unimodal", {}, model).index == 0
    with pytest.raises(ValueError, match="'audio'.*\\['a', 'b'\\]"):
        create_strategy("unimodal", {"modality": "audio"}, model)


def test_ensemble_fused_logits_are_the_mean_of_the_unimodal_logits():
    model = tiny_model()
    strategy = create_strategy("ensemble", {}, model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = tiny_batch(model)
    for _ in range(2):
        train_step(strategy, model, batch, optimizer)
    output = model(tiny_batch(model, seed=7).inputs)
    torch.testing.assert_close(output.logits, output.unimodal_logits.mean(1))
    assert not strategy.trains_fused_head(0)


def test_ensemble_encoders_learn_only_from_their_own_head():
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("ensemble", {}, model)
    ctx = step_context(model, batch)
    strategy.backward(ctx, strategy.loss_terms(ctx))
    got = [p.grad.clone() for p in model.encoders["a"].parameters()]
    model.zero_grad()
    F.cross_entropy(model(batch.inputs).unimodal_logits[:, 0], batch.labels).backward()
    for g, p in zip(got, model.encoders["a"].parameters(), strict=True):
        torch.testing.assert_close(g, p.grad)
    assert model.fusion.weight.grad is None


def test_uni_pretrain_is_an_ensemble_first_then_fine_tunes_the_fused_head():
    model = tiny_model()
    strategy = create_strategy("uni-pretrain", {"pretrain_epochs": 1}, model)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    batch = tiny_batch(model)
    terms = train_step(strategy, model, batch, optimizer, epoch=0)
    assert "loss/ce" not in terms and not strategy.trains_fused_head(0)
    output = model(batch.inputs)
    torch.testing.assert_close(output.logits, output.unimodal_logits.mean(1))

    ctx = step_context(model, batch, epoch=1)
    terms = strategy.loss_terms(ctx)
    torch.testing.assert_close(terms["loss"], F.cross_entropy(ctx.output.logits, batch.labels))
    train_step(strategy, model, batch, optimizer, epoch=1)
    output = model(batch.inputs)
    assert strategy.trains_fused_head(1)
    assert not torch.allclose(output.logits, output.unimodal_logits.mean(1))
