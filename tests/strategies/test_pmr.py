"""pmr: prototypes are class means of each modality's features; the weaker modality gets α · prototype CE."""

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
from core.strategies.pmr import prototype_coefficients
from tests.strategies.helpers import step_context, tiny_batch, tiny_model
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def epoch_start(data, model, epoch):
    return EpochStart(
        epoch, model, data.samples.split_indices("train"), data.samples.split_indices("val"), np.random.default_rng(0),
        lambda index: iterate_batches(data, index, 8, torch.device("cpu")),
    )


def class_means(model, data, index):
    with torch.no_grad():
        features = model.eval().encode({m: torch.from_numpy(data.arrays[m][index]) for m in data.samples.modalities})
    model.train()
    labels = torch.from_numpy(data.samples.labels[index])
    return torch.stack([features[labels == k].mean(0) for k in range(data.samples.num_classes)], dim=1)


def test_coefficient_goes_to_the_weaker_modality_and_follows_the_imbalance():
    assert prototype_coefficients(torch.tensor([5.0, 3.0]), 0.6).tolist() == pytest.approx([0.0, 0.6])
    assert prototype_coefficients(torch.tensor([3.0, 5.0]), 0.6).tolist() == pytest.approx([0.6, 0.0])
    assert prototype_coefficients(torch.tensor([4.0, 4.0]), 0.6).tolist() == [0.0, 0.0]
    three = prototype_coefficients(torch.tensor([5.0, 3.0, 4.0]), 0.6).tolist()
    assert three == pytest.approx([0.0, 0.6, 0.6])  # every modality behind the best one


def test_prototypes_are_class_means_blended_with_momentum():
    data = vector_data(n=60)
    model = build_model_for_data(data, ModelConfig(feature_dim=8))
    strategy = create_strategy("pmr", {"prototype_fraction": 1.0, "momentum": 0.25}, model)
    train = data.samples.split_indices("train")
    strategy.before_epoch(epoch_start(data, model, 0))
    first = class_means(model, data, train)
    torch.testing.assert_close(strategy.prototypes.centres, first)
    with torch.no_grad():
        for p in model.encoders.parameters():
            p.mul_(1.5)
    strategy.before_epoch(epoch_start(data, model, 1))
    assert model.training
    expected = 0.75 * class_means(model, data, train) + 0.25 * first
    torch.testing.assert_close(strategy.prototypes.centres, expected)


def test_loss_adds_alpha_times_the_weaker_modalitys_prototype_cross_entropy():
    model = tiny_model()
    batch = tiny_batch(model, size=32)
    strategy = create_strategy("pmr", {"alpha": 0.7}, model)
    ctx = step_context(model, batch)
    with torch.no_grad():
        features = ctx.output.features
        centres = torch.stack(
            [torch.stack([features[:4, j].mean(0) + k for k in range(3)]) for j in range(2)]
        )
    strategy.prototypes.update(centres, torch.ones(3, dtype=torch.bool), momentum=0.2)
    terms = strategy.loss_terms(ctx)
    logits = [-((features[:, j, None, :] - centres[j][None]) ** 2).sum(-1).sqrt() for j in range(2)]
    scores = [F.softmax(lg, -1)[torch.arange(32), batch.labels].sum() for lg in logits]
    weaker = int(scores[1] < scores[0])
    fused_ce = F.cross_entropy(ctx.fused_logits, batch.labels)
    expected = fused_ce + 0.7 * F.cross_entropy(logits[weaker], batch.labels)
    torch.testing.assert_close(terms["loss"], expected, rtol=1e-5, atol=1e-5)
    assert float(terms[f"pmr/coef/{model.modalities[weaker]}"]) == pytest.approx(0.7)
    assert float(terms[f"pmr/coef/{model.modalities[1 - weaker]}"]) == 0.0


def test_plain_cross_entropy_until_prototypes_exist():
    model = tiny_model()
    batch = tiny_batch(model)
    ctx = step_context(model, batch)
    terms = create_strategy("pmr", {}, model).loss_terms(ctx)
    torch.testing.assert_close(terms["loss"], F.cross_entropy(ctx.fused_logits, batch.labels))


def test_engine_runs_pmr_and_checkpoints_the_prototypes(tmp_path):
    engine, outcome, seen = run_engine(tmp_path, small_config(name="pmr"), vector_data(n=48))
    assert not outcome.failed, of_type(seen, ev.RunFailed)
    assert "train/pmr/coef/a" in of_type(seen, ev.EpochMetrics)[-1].metrics
    state = torch.load(tmp_path / "run" / "checkpoints" / "last.pt", weights_only=False)
    assert bool(state["extras"]["pmr_prototypes.ready"])
