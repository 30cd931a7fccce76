"""amco: the dominant modality's features are masked at the scheduled ratio; dominance = softmax share."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.strategies import create_strategy
from core.strategies.amco import mask_ratio
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import step_context, tiny_batch, tiny_model


def test_mask_ratio_follows_the_sine_schedule():
    assert mask_ratio(step=5, epoch=0, eps=0.3, growth=0.1) == 0.0  # l_t stays 0 in epoch 0
    assert mask_ratio(step=0, epoch=4, eps=0.3, growth=0.1) == 0.0
    assert mask_ratio(step=1, epoch=1, eps=0.3, growth=0.1) == pytest.approx(0.5)  # sin(π/6)
    assert mask_ratio(step=2, epoch=1, eps=0.3, growth=0.1) == pytest.approx(math.sqrt(3) / 2)  # sin(π/3)
    assert mask_ratio(step=9, epoch=2, eps=0.3, growth=0.1) == 1.0  # l_t ≥ ε


def test_mask_zeroes_int_ratio_times_d_dimensions_of_the_dominant_modality_only():
    model = tiny_model()
    strategy = create_strategy("amco", {}, model)
    strategy.dominant = 1
    mask = strategy.feature_mask(model, math.sqrt(3) / 2, torch.device("cpu"))
    assert int((mask[1] == 0).sum()) == 6  # int(0.866 · 8)
    assert bool((mask[0] == 1).all())
    strategy.dominant = None
    assert bool((strategy.feature_mask(model, 1.0, torch.device("cpu")) == 1).all())


def test_loss_uses_the_masked_features_for_the_fused_and_unimodal_logits(monkeypatch):
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("amco", {}, model)
    mask = torch.ones(2, 8)
    mask[0, [1, 4, 6]] = 0
    monkeypatch.setattr(strategy, "feature_mask", lambda *args: mask)
    ctx = step_context(model, batch, epoch=1, step=1)
    terms = strategy.loss_terms(ctx)

    features = ctx.output.features.detach() * mask
    weights = model.fusion.weight.detach().view(model.num_classes, 2, model.feature_dim)
    bias = model.fusion.bias.detach()
    summands = [features[:, j] @ weights[:, j].T for j in range(2)]
    fused = summands[0] + summands[1] + bias
    unimodal = [F.cross_entropy(s + bias / 2, batch.labels) for s in summands]
    torch.testing.assert_close(terms["loss/ce"], F.cross_entropy(fused, batch.labels))
    torch.testing.assert_close(terms["loss"].detach(), F.cross_entropy(fused, batch.labels) + sum(unimodal))
    # the shares of the joint softmax over both modalities' logits decide the next dominant modality
    joint = F.softmax(torch.cat([s + bias / 2 for s in summands], dim=1), dim=1)
    shares = torch.stack([joint[:, :3].sum(1).mean(), joint[:, 3:].sum(1).mean()])
    torch.testing.assert_close(torch.stack([terms["amco/share/a"], terms["amco/share/b"]]), shares)
    top = int(shares.argmax())
    assert strategy.dominant == (top if float(shares[top]) > 0.5 else None)


def test_a_modality_with_most_of_the_joint_softmax_becomes_dominant_and_an_epoch_starts_fresh():
    model = tiny_model()
    with torch.no_grad():
        model.fusion.weight[:, :8] *= 40  # modality a's logits dwarf b's
    strategy = create_strategy("amco", {}, model)
    batch = tiny_batch(model)
    terms = strategy.loss_terms(step_context(model, batch, epoch=1, step=0))
    assert float(terms["amco/share/a"]) > 0.5 and strategy.dominant == 0
    assert float(terms["amco/mask_ratio"]) == 0.0  # nothing was dominant at the epoch's first step
    terms = strategy.loss_terms(step_context(model, batch, epoch=1, step=3))
    assert float(terms["amco/mask_ratio"]) == pytest.approx(1.0)  # l_t = 0.3: a is masked entirely
    strategy.loss_terms(step_context(model, batch, epoch=2, step=0))
    assert float(strategy.loss_terms(step_context(model, batch, epoch=3, step=0))["amco/mask_ratio"]) == 0.0


def test_outside_its_epochs_amco_is_plain_fused_cross_entropy():
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("amco", {"start_epoch": 2}, model)
    ctx = step_context(model, batch, epoch=1, step=4)
    terms = strategy.loss_terms(ctx)
    torch.testing.assert_close(terms["loss"], F.cross_entropy(ctx.output.logits, batch.labels))


def test_amco_works_for_three_modalities_and_trains_end_to_end(tmp_path):
    model = tiny_model(("a", "b", "c"))
    terms = create_strategy("amco", {}, model).loss_terms(step_context(model, tiny_batch(model), 1, 2))
    assert sum(float(terms[f"amco/share/{m}"]) for m in "abc") == pytest.approx(1.0)
    train_briefly(tmp_path, "amco")
