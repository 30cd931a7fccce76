"""mslr: each encoder's learning rate follows its validation accuracy against its recent mean."""

import numpy as np
import pytest
import torch

from core.strategies import create_strategy
from core.strategies.base import scaled_updates
from core.strategies.mslr import lr_ratios
from tests.strategies.demo_runs import demo_folder, train_on_demo
from tests.strategies.end_to_end import train_briefly
from tests.strategies.helpers import step_context, tiny_batch, tiny_model, train_step


def test_lr_ratio_update_from_given_val_accuracies():
    history = np.array([[0.5, 0.4], [0.6, 0.4]])
    accuracy = np.array([0.66, 0.3])
    # epoch 3 > K = 2: acc / mean of the last two remembered accuracies
    assert lr_ratios(history, accuracy, epoch=3, keep=2) == pytest.approx([0.66 / 0.55, 0.3 / 0.4])
    assert lr_ratios(history, accuracy, epoch=2, keep=2).tolist() == [1.0, 1.0]  # not past K epochs yet


def test_update_scales_are_initial_times_ratio():
    model = tiny_model()
    strategy = create_strategy("mslr", {"initial_scales": "a=0.7"}, model)
    strategy.memory.ratios.copy_(torch.tensor([1.2, 0.75], dtype=torch.float64))
    assert strategy.update_scales(0) == {"encoders.a": pytest.approx(0.84), "encoders.b": pytest.approx(0.75)}


@pytest.mark.parametrize("optimizer", [torch.optim.SGD, torch.optim.Adam, torch.optim.AdamW])
def test_a_scaled_update_is_a_learning_rate_for_that_encoder(optimizer):
    """θ_before + s·Δθ equals the step with lr·s for that encoder (and the plain step elsewhere)."""
    scaled_model, reference = tiny_model(), tiny_model()
    strategy = create_strategy("joint", {}, scaled_model)
    kwargs = {"momentum": 0.9} if optimizer is torch.optim.SGD else {}
    opt = optimizer(scaled_model.parameters(), lr=0.1, **kwargs)
    a_params = list(reference.encoders["a"].parameters())
    others = [p for p in reference.parameters() if all(p is not q for q in a_params)]
    ref_opt = optimizer([{"params": a_params, "lr": 0.05}, {"params": others}], lr=0.1, **kwargs)
    for seed in (1, 2, 3):
        batch = tiny_batch(scaled_model, seed=seed)
        for model, o, scales in ((scaled_model, opt, {"encoders.a": 0.5}), (reference, ref_opt, {})):
            ctx_terms = strategy.loss_terms(step_context(model, batch))
            o.zero_grad()
            ctx_terms["loss"].backward()
            with scaled_updates(model, scales):
                o.step()
    for (name, p), q in zip(scaled_model.named_parameters(), reference.parameters(), strict=True):
        torch.testing.assert_close(p, q, msg=name)


def test_unknown_modality_in_initial_scales_is_named():
    with pytest.raises(ValueError, match="initial_scales.*'c'"):
        create_strategy("mslr", {"initial_scales": "c=2"}, tiny_model())
    with pytest.raises(ValueError, match="initial_scales"):
        create_strategy("mslr", {"initial_scales": "a:2"}, tiny_model())


def test_only_the_fused_loss_is_minimised():
    model = tiny_model()
    strategy = create_strategy("mslr", {}, model)
    terms = train_step(strategy, model, tiny_batch(model), torch.optim.SGD(model.parameters(), lr=0.1))
    torch.testing.assert_close(terms["loss"].detach(), terms["loss/ce"])


@pytest.mark.parametrize("modalities", [("a", "b"), ("a", "b", "c")])
def test_mslr_trains_and_remembers_one_accuracy_per_epoch_after_the_first(tmp_path, modalities):
    state = train_briefly(tmp_path, "mslr", params={"keep_memory_epochs": 1}, epochs=3, modalities=modalities)
    assert int(state["extras"]["mslr_memory.count"]) == 2
    ratios = state["extras"]["mslr_memory.ratios"]
    accuracies = state["extras"]["mslr_memory.accuracies"][:2]
    torch.testing.assert_close(ratios, accuracies[1] / accuracies[0].clamp_min(1e-300))  # epoch 2 > K = 1


def test_mslr_trains_two_epochs_on_the_demos(tmp_path_factory, tmp_path):
    for preset in ("balanced", "vectors"):
        train_on_demo(demo_folder(tmp_path_factory.getbasetemp(), preset), tmp_path / preset, "mslr")
