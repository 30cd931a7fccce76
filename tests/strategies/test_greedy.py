"""greedy: conditional utilisation rates from exact coalitions; re-balancing steps on the under-used modality."""

import math

import pytest
import torch
import torch.nn.functional as F

from core.models.multimodal import ModelOutput
from core.strategies import create_strategy
from core.strategies.base import StepContext
from core.strategies.greedy import utilisation_rates
from tests.strategies.demo_runs import demo_folder, train_on_demo
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import tiny_batch, tiny_model

LABELS = torch.tensor([0, 1, 2, 0, 1])


def test_utilisation_rates_on_hand_numbers():
    rates = utilisation_rates(torch.tensor(10.0), torch.tensor([4.0, 9.0]))
    assert rates.tolist() == pytest.approx([0.6, 0.1])  # (10 − 4)/10, (10 − 9)/10


def fixed_model():
    """Modality a's features are the one-hot label (fused weight: identity on its first 3 dims); b's part of
    the fused head is zero, so the model leans on a only."""
    model = tiny_model()
    with torch.no_grad():
        model.fusion.weight.zero_()
        model.fusion.weight[:, :3] = torch.eye(3)
        model.fusion.bias.zero_()
    features = torch.zeros(5, 2, 8)
    features[:, 0, :3] = F.one_hot(LABELS, 3).float()
    features[:, 1] = torch.randn(5, 8)
    return model, features


def context(model, features, epoch=1, step=0):
    batch = tiny_batch(model, size=5)
    batch = type(batch)(batch.inputs, LABELS, batch.keep, batch.index)
    output = ModelOutput(features, model.fuse(features), model.unimodal(features))
    return StepContext(model, batch, output, epoch, step)


def test_the_least_utilised_modality_gets_the_re_balancing_steps():
    model, features = fixed_model()
    strategy = create_strategy("greedy", {}, model)
    first = strategy.loss_terms(context(model, features))
    # with a: 5 correct; without a: logits 0 → argmax class 0 → 2 correct; without b: 5 → u = [0.6, 0]
    assert strategy.rates().tolist() == pytest.approx([0.6, 0.0])
    assert float(first["greedy/caring"]) == -1.0 and int(strategy.state.caring) == 1
    rebalance = strategy.loss_terms(context(model, features, step=1))
    assert float(rebalance["greedy/caring"]) == 1.0
    # only b present: b's part is zero and the bias zero → uniform logits → CE = ln 3
    assert float(rebalance["loss/ce"]) == pytest.approx(math.log(3))
    for step in range(2, 6):
        strategy.loss_terms(context(model, features, step=step))
    assert int(strategy.state.caring) == -1  # the window of 5 re-balancing steps is over


def test_no_re_balancing_before_the_start_epoch_or_within_epsilon():
    model, features = fixed_model()
    early = create_strategy("greedy", {}, model)
    early.loss_terms(context(model, features, epoch=0))
    assert int(early.state.caring) == -1
    tolerant = create_strategy("greedy", {"epsilon": 0.7}, model)
    tolerant.loss_terms(context(model, features))
    assert int(tolerant.state.caring) == -1


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_greedy_trains_on_vectors(tmp_path, modalities):
    state = train_briefly(tmp_path, "greedy", {"start_epoch": 0, "epsilon": 0.0}, modalities=modalities)
    assert float(state["extras"]["greedy_state.correct_all"]) > 0


def test_greedy_trains_two_epochs_on_the_demos(tmp_path_factory, tmp_path):
    for preset in ("balanced", "vectors"):
        train_on_demo(demo_folder(tmp_path_factory.getbasetemp(), preset), tmp_path / preset, "greedy")
