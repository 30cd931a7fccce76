"""reconboost: one modality boosted at a time against the others' ensemble, with the reconcilement term."""

import math

import pytest
import torch

from core.strategies import create_strategy
from core.strategies.reconboost import boosting_loss
from tests.strategies.demo_runs import demo_folder, train_on_demo
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import gradients, step_context, tiny_batch, tiny_model


def test_reconcilement_term_on_hand_numbers():
    learner = torch.tensor([[0.0, math.log(3.0)]])  # p_m[y=1] = 3/4
    others = torch.tensor([[0.0, 0.0]])  # p_others[y=1] = 1/2
    labels = torch.tensor([1])
    # (−5·ln 0.75 + 1·0.5·ln 0.75) / 2
    assert float(boosting_loss(learner, others, labels, 5.0, 1.0)) == pytest.approx(0.647285, rel=1e-5)
    # the reconcilement term weighs rows the others already get right less
    sure = torch.tensor([[0.0, 10.0]])
    assert float(boosting_loss(learner, sure, labels, 5.0, 1.0)) < float(boosting_loss(learner, others, labels, 5.0, 1.0))
    assert float(boosting_loss(learner, others, labels, 5.0, 0.0)) == pytest.approx(-5 * math.log(0.75) / 2)


def test_stages_cycle_through_modalities_with_ensemble_epochs():
    strategy = create_strategy("reconboost", {}, tiny_model())
    assert [strategy.stage(e) for e in range(6)] == [0, -1, 1, -1, 0, -1]
    three = create_strategy("reconboost", {"stage_epochs": 2, "ensemble_epochs": 0}, tiny_model(("a", "b", "c")))
    assert [three.stage(e) for e in range(7)] == [0, 0, 1, 1, 2, 2, 0]


def test_a_boosting_epoch_trains_only_the_boosted_modality():
    model = tiny_model()
    strategy = create_strategy("reconboost", {}, model)
    batch = tiny_batch(model)
    ctx = step_context(model, batch, epoch=2)  # modality b's stage
    terms = strategy.loss_terms(ctx)
    strategy.backward(ctx, terms)
    grads = gradients(model, "encoders.")
    assert float(terms["reconboost/stage"]) == 1.0
    assert grads and all(name.startswith("encoders.b.") for name in grads)
    # the learner u_b = W_b z_b + b/2 against the ensemble with b absent: (W_a z_a + b), by hand
    weights = model.fusion.weight.view(3, 2, 8)
    features = ctx.output.features.detach()
    learner = features[:, 1] @ weights[:, 1].T + model.fusion.bias / 2
    others = features[:, 0] @ weights[:, 0].T + model.fusion.bias
    boost = boosting_loss(learner, others, batch.labels, 5.0, 1.0).mean()
    rectify = torch.nn.functional.mse_loss(learner.softmax(-1), (features[:, 0] @ weights[:, 0].T + model.fusion.bias / 2).softmax(-1))
    assert float(terms["loss"]) == pytest.approx(float((boost + 0.5 * rectify).detach()), rel=1e-5)


def test_ensemble_epochs_minimise_the_fused_cross_entropy():
    model = tiny_model()
    terms = create_strategy("reconboost", {}, model).loss_terms(step_context(model, tiny_batch(model), epoch=1))
    assert float(terms["reconboost/stage"]) == -1.0 and torch.equal(terms["loss"].detach(), terms["loss/ce"])


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_reconboost_trains_on_vectors(tmp_path, modalities):
    train_briefly(tmp_path, "reconboost", epochs=3, modalities=modalities)


def test_reconboost_trains_two_epochs_on_the_demos(tmp_path_factory, tmp_path):
    for preset in ("balanced", "vectors"):
        train_on_demo(demo_folder(tmp_path_factory.getbasetemp(), preset), tmp_path / preset, "reconboost")
