"""Macro-F1, parameter counts and FLOPs of core.training.metrics, and the φ imbalance figures."""

import numpy as np
import pytest
import torch
from torch import nn

from core.models.multimodal import MultimodalModel
from core.training.metrics import (
    add_counts,
    class_counts,
    f1_metrics,
    flops_per_sample,
    head_counts,
    macro_f1,
    macro_f1_from_counts,
    parameter_count,
)
from core.valuation.imbalance import imbalance_summary, split_imbalance
from core.valuation.result import ValuationResult


def test_macro_f1_by_hand():
    # class 0: TP 1, predicted 2, labelled 2 -> 2/4; class 1: TP 2, 3, 2 -> 4/5; class 2: TP 0, 0, 1 -> 0;
    # class 3 occurs nowhere and is left out of the mean
    labels, predictions = [0, 0, 1, 1, 2], [0, 1, 1, 1, 0]
    expected = [[1, 2, 0, 0], [2, 3, 0, 0], [2, 2, 1, 0]]
    np.testing.assert_array_equal(class_counts(labels, predictions, 4), expected)
    assert macro_f1(labels, predictions, 4) == pytest.approx((0.5 + 0.8 + 0.0) / 3)
    # a class that is only predicted counts with F1 0: (2/3 + 0) / 2
    assert macro_f1(torch.tensor([0, 0]), torch.tensor([0, 1]), 3) == pytest.approx(1 / 3)
    assert macro_f1([], [], 3) == 0.0


def test_counts_summed_over_batches_give_the_split_f1_not_the_mean_of_batch_f1s():
    labels, predictions = np.array([0, 0, 1, 1, 2]), np.array([0, 1, 1, 1, 0])
    total: dict[str, np.ndarray] = {}
    batch_f1 = []
    for rows in (slice(0, 2), slice(2, 5)):
        add_counts(total, {"f1": class_counts(labels[rows], predictions[rows], 4)})
        batch_f1.append(macro_f1(labels[rows], predictions[rows], 4))
    assert f1_metrics(total)["f1"] == pytest.approx(macro_f1(labels, predictions, 4))
    # batch 1: classes 0, 1 -> (2/3 + 0) / 2; batch 2: classes 0, 1, 2 -> (0 + 1 + 0) / 3
    assert batch_f1 == pytest.approx([1 / 3, 1 / 3])
    assert f1_metrics(total)["f1"] != pytest.approx(np.mean(batch_f1))


def test_macro_f1_matches_scikit_learn():
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for num_classes in (2, 5, 9):
        labels = rng.integers(0, num_classes, 57)
        predictions = np.where(rng.random(57) < 0.5, labels, rng.integers(0, num_classes - 1, 57))
        expected = metrics.f1_score(labels, predictions, average="macro", zero_division=0)
        assert macro_f1(labels, predictions, num_classes) == pytest.approx(expected)


def test_head_counts_cover_the_fused_and_every_unimodal_head():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    unimodal = torch.stack([logits.flip(-1), logits], dim=1)  # head a predicts the opposite class
    counts = head_counts(logits, unimodal, torch.tensor([0, 1, 1]), ["a", "b"])
    assert set(counts) == {"f1", "f1/a", "f1/b"}
    np.testing.assert_array_equal(counts["f1"], counts["f1/b"])
    f1 = f1_metrics(counts)
    # labels 0, 1, 1; fused predictions 0, 1, 0: class 0 2·1/(2+1), class 1 2·1/(1+2) -> 2/3;
    # head a predicts 1, 0, 1: class 0 0, class 1 2·1/(2+2) -> 1/4
    assert f1["f1"] == pytest.approx(2 / 3) and f1["f1/a"] == pytest.approx(1 / 4)


@pytest.mark.parametrize(
    "labels,predictions,message",
    [([0, 3], [0, 1], "labels must be class indices in \\[0, 3\\)"), ([0, 1], [0], "same length")],
)
def test_bad_class_counts_input_is_named(labels, predictions, message):
    with pytest.raises(ValueError, match=message):
        class_counts(labels, predictions, 3)
    with pytest.raises(ValueError, match="shape \\[3, classes\\]"):
        macro_f1_from_counts(np.zeros((2, 3)))


def linear_model() -> MultimodalModel:
    """Linear encoders 5 -> 4 and 3 -> 4, three classes: every FLOP is in a Linear layer."""
    return MultimodalModel({"a": nn.Linear(5, 4), "b": nn.Linear(3, 4)}, feature_dim=4, num_classes=3)


def test_flops_per_sample_of_linear_layers_are_two_in_out():
    model = linear_model().train()
    inputs = {"a": torch.randn(6, 5), "b": torch.randn(6, 3)}
    # encoders 2·5·4 + 2·3·4, fusion 2·8·3, two unimodal heads 2·4·3 each
    assert flops_per_sample(model, inputs) == 40 + 24 + 48 + 48
    assert model.training, "the model's mode is restored"


def test_flops_per_sample_of_a_convolution():
    class Conv(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(2, 3, kernel_size=3)

        def forward(self, inputs):
            return self.conv(inputs["x"])

    # 3 output positions × 3 output channels × (2 input channels × 3 taps) multiply-adds, 2 FLOPs each
    assert flops_per_sample(Conv(), {"x": torch.randn(4, 2, 5)}) == 2 * 3 * 3 * 2 * 3
    with pytest.raises(ValueError, match="common first dimension"):
        flops_per_sample(Conv(), {"x": torch.randn(4, 2, 5), "y": torch.randn(3, 1)})


def test_parameter_count_counts_shared_parameters_once():
    model = linear_model()
    # encoders 5·4+4 and 3·4+4, fusion 8·3+3, heads 2·(4·3+3)
    assert parameter_count(model) == 24 + 16 + 27 + 30
    extras = nn.ModuleDict({"head": nn.Linear(4, 2), "again": model.fusion})
    assert parameter_count(model, extras) == 97 + 10


def test_imbalance_of_two_modalities_by_hand():
    phi = np.array([[1.0, 0.0], [0.2, 0.5], [0.3, 0.3], [0.7, 0.1]])
    figures = imbalance_summary(phi, ["a", "b"])
    # mean φ: a 2.2 / 4 = 0.55, b 0.9 / 4 = 0.225; a dominates rows 0 and 3, b row 1, row 2 is a tie
    assert figures == pytest.approx(
        {"phi_gap": 0.325, "phi_diff": 0.325, "dominant/a": 0.5, "dominant/b": 0.25, "phi_ties": 0.25}
    )
    assert imbalance_summary(phi[:, ::-1], ["a", "b"])["phi_diff"] == pytest.approx(-0.325)


def test_imbalance_of_three_modalities_counts_ties_of_the_top_two_only():
    phi = np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 1.0], [0.5, 0.0, 0.5], [3.0, 1.0, 1.0]])
    figures = imbalance_summary(phi, ["a", "b", "c"])
    # mean φ: a 1.125, b 1.0, c 0.625; row 3's equal pair is not its top two
    assert figures == pytest.approx(
        {"phi_gap": 0.5, "dominant/a": 0.25, "dominant/b": 0.25, "dominant/c": 0.0, "phi_ties": 0.5}
    )
    assert imbalance_summary(np.zeros((0, 3)), ["a", "b", "c"]) == {}
    with pytest.raises(ValueError, match="phi must have shape \\[samples, 3\\]"):
        imbalance_summary(np.zeros((4, 2)), ["a", "b", "c"])


def test_split_imbalance_prefixes_the_split():
    phi = np.array([[0.4, 0.1]], np.float32)
    result = ValuationResult(
        epoch=0, split="val", value_fn="benefit", modalities=["x", "y"], sample_index=np.array([7]), phi=phi,
        coalition_values=np.zeros((1, 4), np.float32), prediction=np.array([0]), correct=np.array([True]),
    )
    figures = split_imbalance(result)
    assert figures == pytest.approx(
        {"val/phi_gap": 0.3, "val/phi_diff": 0.3, "val/dominant/x": 1.0, "val/dominant/y": 0.0,
         "val/phi_ties": 0.0}
    )
