"""mmcosine: fused logits are scale · Σ_m cos(z_m, W_m[c]), alike in training, evaluation and valuation."""

import pytest
import torch
import torch.nn.functional as F

from core import events as ev
from core.strategies import create_strategy
from tests.strategies.helpers import step_context, tiny_batch, tiny_model
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def cosine_logits_by_hand(model, inputs, scale):
    """s · Σ_m cos(z_m, w_{m,c}), one cosine at a time from the fusion layer's blocks."""
    features = model.encode(inputs)
    d = model.feature_dim
    logits = torch.zeros(features.shape[0], model.num_classes)
    for j in range(model.num_modalities):
        block = model.fusion.weight[:, j * d : (j + 1) * d]
        for c in range(model.num_classes):
            logits[:, c] += scale * F.cosine_similarity(features[:, j], block[c][None], dim=-1)
    return logits


def test_fused_logits_are_scaled_cosines_without_bias():
    model = tiny_model()
    with torch.no_grad():
        model.fusion.bias.fill_(5.0)  # must not enter
    create_strategy("mmcosine", {"scaling": 7.0}, model)
    batch = tiny_batch(model)
    with torch.no_grad():
        expected = cosine_logits_by_hand(model, batch.inputs, 7.0)
        torch.testing.assert_close(model(batch.inputs).logits, expected, rtol=1e-5, atol=1e-5)
        assert expected.abs().max() <= 7.0 * model.num_modalities + 1e-5


def test_loss_is_cross_entropy_of_the_cosine_logits():
    model = tiny_model()
    strategy = create_strategy("mmcosine", {}, model)  # default s = 10
    batch = tiny_batch(model)
    terms = strategy.loss_terms(step_context(model, batch))
    expected = F.cross_entropy(cosine_logits_by_hand(model, batch.inputs, 10.0), batch.labels)
    torch.testing.assert_close(terms["loss"], expected, rtol=1e-5, atol=1e-5)


def test_coalitions_drop_the_absent_modality_cosines():
    model = tiny_model()
    create_strategy("mmcosine", {"scaling": 3.0}, model)
    batch = tiny_batch(model, size=4)
    with torch.no_grad():
        features = model.encode(batch.inputs)
        members = torch.tensor([[0, 0], [1, 0], [1, 1]])
        coalitions = model.coalition_logits(features, members)
        only_a = model.fuse(model.mask_features(features, torch.tensor([[1.0, 0.0]]).expand(4, -1)))
        full = cosine_logits_by_hand(model, batch.inputs, 3.0)
    torch.testing.assert_close(coalitions[:, 0], torch.zeros(4, model.num_classes))
    torch.testing.assert_close(coalitions[:, 1], only_a)
    torch.testing.assert_close(coalitions[:, 2], full, rtol=1e-5, atol=1e-5)


def test_scale_must_be_positive():
    with pytest.raises(ValueError, match="scaling"):
        create_strategy("mmcosine", {"scaling": 0.0}, tiny_model())


def test_engine_trains_and_values_with_the_cosine_head(tmp_path):
    _, outcome, seen = run_engine(tmp_path, small_config(name="mmcosine"), vector_data(n=48))
    assert not outcome.failed, of_type(seen, ev.RunFailed)
    valuation = of_type(seen, ev.ValuationReady)[-1].result
    assert torch.isfinite(torch.as_tensor(valuation.phi)).all()
