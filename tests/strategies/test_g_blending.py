"""g-blending: head weights w_k ∝ |ΔG_k| / ΔO_k², re-estimated every super-epoch from train/val losses."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core import events as ev
from core.config import ModelConfig
from core.data.batches import iterate_batches
from core.models.multimodal import build_model_for_data
from core.strategies import create_strategy
from core.strategies.base import EpochStart
from core.strategies.g_blending import blend_weights
from core.strategies.unimodal_heads import unimodal_cross_entropies
from tests.strategies.helpers import step_context, tiny_batch, tiny_model
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def epoch_start(data, model, epoch, val=True):
    val_index = data.samples.split_indices("val") if val else np.zeros(0, np.int64)
    return EpochStart(
        epoch, model, data.samples.split_indices("train"), val_index, np.random.default_rng(0),
        lambda index: iterate_batches(data, index, 8, torch.device("cpu")),
    )


def head_losses_by_hand(model, data, index):
    with torch.no_grad():
        output = model.eval()({m: torch.from_numpy(data.arrays[m][index]) for m in data.samples.modalities})
    model.train()
    labels = torch.from_numpy(data.samples.labels[index])
    heads = [F.cross_entropy(output.unimodal_logits[:, j], labels) for j in range(model.num_modalities)]
    return torch.stack([*heads, F.cross_entropy(output.logits, labels)])


def test_weights_are_generalisation_over_squared_overfitting_normalised():
    # ΔG = [-0.2, -0.1, -0.3], ΔO = [0.3, 0.1, 0.3] → |ΔG|/ΔO² = [20/9, 90/9, 30/9] → /(140/9)
    weights = blend_weights(
        torch.tensor([1.0, 1.0, 1.0]), torch.tensor([1.2, 1.1, 1.3]),
        torch.tensor([0.5, 0.8, 0.4]), torch.tensor([1.0, 1.0, 1.0]),
    )
    torch.testing.assert_close(weights, torch.tensor([1 / 7, 9 / 14, 3 / 14]))


def test_super_epoch_measurements_set_the_weights():
    data = vector_data(n=60)
    model = build_model_for_data(data, ModelConfig(feature_dim=8))
    strategy = create_strategy("g-blending", {"super_epoch": 2}, model)
    train, val = data.samples.split_indices("train"), data.samples.split_indices("val")
    strategy.before_epoch(epoch_start(data, model, 0))
    torch.testing.assert_close(strategy.state.weights, torch.full((3,), 1 / 3))
    before = head_losses_by_hand(model, data, train), head_losses_by_hand(model, data, val)
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))
    strategy.before_epoch(epoch_start(data, model, 1))  # inside the super-epoch: nothing measured
    torch.testing.assert_close(strategy.state.weights, torch.full((3,), 1 / 3))
    strategy.before_epoch(epoch_start(data, model, 2))
    after = head_losses_by_hand(model, data, train), head_losses_by_hand(model, data, val)
    expected = blend_weights(before[0], before[1], after[0], after[1])
    torch.testing.assert_close(strategy.state.weights, expected, rtol=1e-4, atol=1e-6)
    assert not torch.allclose(expected, torch.full((3,), 1 / 3))


def test_loss_is_the_weighted_sum_of_head_losses():
    model = tiny_model()
    batch = tiny_batch(model)
    strategy = create_strategy("g-blending", {}, model)
    strategy.state.weights.copy_(torch.tensor([0.5, 0.3, 0.2]))
    ctx = step_context(model, batch)
    uni = unimodal_cross_entropies(ctx.output, batch.labels, batch.keep)
    expected = 0.5 * uni[0] + 0.3 * uni[1] + 0.2 * F.cross_entropy(ctx.fused_logits, batch.labels)
    torch.testing.assert_close(strategy.loss_terms(ctx)["loss"], expected)


def test_needs_a_validation_split():
    data = vector_data(n=30)
    model = build_model_for_data(data, ModelConfig(feature_dim=8))
    with pytest.raises(ValueError, match="validation split"):
        create_strategy("g-blending", {}, model).before_epoch(epoch_start(data, model, 0, val=False))


def test_engine_reestimates_the_weights_each_super_epoch(tmp_path):
    config = small_config(epochs=3, name="g-blending", super_epoch=1)
    _, outcome, seen = run_engine(tmp_path, config, vector_data(n=48))
    assert not outcome.failed, of_type(seen, ev.RunFailed)
    weights = [e.metrics["train/gblend/weight/fused"] for e in of_type(seen, ev.EpochMetrics)]
    assert weights[0] == pytest.approx(1 / 3) and weights[2] != pytest.approx(1 / 3)
