"""relearning: k-means purity gap between train and val sets how far each encoder is pulled back to init."""

import numpy as np
import pytest
import torch

from core.strategies import create_strategy
from core.strategies.relearning import feature_purity, purity, reset_strength, soft_reinitialise
from tests.strategies.demo_runs import demo_folder, train_on_demo
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import tiny_model


def test_purity_and_reset_strength_on_hand_numbers():
    labels = np.array([0, 0, 1, 1, 2, 2])
    assert purity(labels, np.array([0, 0, 0, 1, 1, 1])) == pytest.approx(4 / 6)  # majorities 2 + 2
    assert purity(labels, np.array([5, 5, 7, 7, 9, 9])) == 1.0
    assert reset_strength(0.9, 0.6, move_lambda=3.0) == pytest.approx(np.tanh(0.9))  # 0.716298
    assert reset_strength(0.6, 0.9, move_lambda=3.0) == pytest.approx(0.716298, rel=1e-6)
    assert reset_strength(0.7, 0.7, move_lambda=3.0) == 0.0


def test_kmeans_purity_finds_separated_classes():
    rng = np.random.default_rng(0)
    labels = np.repeat([0, 1, 2], 10)
    centres = np.array([[5.0, 0.0], [-5.0, 0.0], [0.0, 5.0]])
    assert feature_purity(centres[labels] + rng.normal(scale=0.1, size=(30, 2)), labels, 3) == 1.0
    assert feature_purity(rng.normal(size=(30, 2)), labels, 3) < 1.0


def test_soft_reinitialisation_mixes_initial_and_current_weights():
    model = tiny_model()
    strategy = create_strategy("relearning", {}, model)
    initial = [p.detach().clone() for p in model.encoders["a"].parameters()]
    with torch.no_grad():
        for p in model.encoders["a"].parameters():
            p.add_(1.0)
        current = [p.detach().clone() for p in model.encoders["a"].parameters()]
        untouched = [p.detach().clone() for p in model.encoders["b"].parameters()]
        soft_reinitialise(model, strategy.initial, "a", 0.3)
    for p, p0, p1 in zip(model.encoders["a"].parameters(), initial, current, strict=True):
        torch.testing.assert_close(p.detach(), 0.3 * p0 + 0.7 * p1)
    for p, q in zip(model.encoders["b"].parameters(), untouched, strict=True):
        assert torch.equal(p.detach(), q)


def test_diagnosis_schedule():
    strategy = create_strategy("relearning", {}, tiny_model())
    assert [e for e in range(50) if strategy.diagnosing(e)] == [15, 30, 45]
    strategy.initial.done += 2  # reinit_num = 2 spent
    assert not strategy.diagnosing(45)


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_relearning_re_initialises_every_epoch_up_to_the_limit(tmp_path, modalities):
    state = train_briefly(tmp_path, "relearning", {"reinit_epoch": 1, "reinit_num": 1}, epochs=3, modalities=modalities)
    assert int(state["extras"]["relearning_initial.done"]) == 1


def test_relearning_trains_two_epochs_on_the_demos(tmp_path_factory, tmp_path):
    for preset in ("balanced", "vectors"):
        folder = demo_folder(tmp_path_factory.getbasetemp(), preset)
        train_on_demo(folder, tmp_path / preset, "relearning", {"reinit_epoch": 1})
