"""MI-term curves: estimators against direct formulas, ignored modalities read as zero, epoch accumulation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from core.mi import MIAccumulator, jensen_shannon, label_entropy, mi_terms, supervised_nt_xent
from tests.strategies.helpers import tiny_batch, tiny_model


def test_label_entropy_in_nats():
    assert label_entropy(np.array([0, 1, 2, 3] * 5), 4) == pytest.approx(math.log(4))
    assert label_entropy(np.array([2, 2, 2]), 3) == 0.0
    assert label_entropy(np.array([0, 0, 0, 1]), 2) == pytest.approx(
        -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    )
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        label_entropy(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="no labels"):
        label_entropy(np.array([], dtype=np.int64), 3)


def test_jensen_shannon_bounds_and_symmetry():
    p = torch.tensor([[10.0, -10.0], [0.3, 0.1]])
    q = torch.tensor([[-10.0, 10.0], [0.1, 0.4]])
    assert jensen_shannon(p, p).abs().max() < 1e-6
    torch.testing.assert_close(jensen_shannon(p, q), jensen_shannon(q, p))
    assert jensen_shannon(p, q)[0] == pytest.approx(math.log(2), abs=1e-4)


def test_supervised_nt_xent_matches_a_direct_loop():
    generator = torch.Generator().manual_seed(0)
    features = torch.randn(6, 2, 4, generator=generator)
    labels = torch.tensor([0, 1, 0, 2, 1, 0])
    rows = F.normalize(torch.cat([features[:, 0], features[:, 1]]), dim=-1)
    row_labels = torch.cat([labels, labels])
    losses = []
    for a in range(len(rows)):
        others = [k for k in range(len(rows)) if k != a]
        denominator = torch.logsumexp(torch.stack([rows[a] @ rows[k] / 0.5 for k in others]), 0)
        positives = [k for k in others if row_labels[k] == row_labels[a]]
        losses.append(-torch.stack([rows[a] @ rows[p] / 0.5 - denominator for p in positives]).mean())
    torch.testing.assert_close(supervised_nt_xent(features, labels, 0.5), torch.stack(losses).mean())


def model_ignoring(modality_index):
    model = tiny_model()
    with torch.no_grad():
        weight = model.fusion.weight.view(model.num_classes, 2, model.feature_dim)
        weight[:, modality_index] = 0.0
        weight[:, 1 - modality_index] *= 20.0  # make the used modality matter a lot
    return model


def test_ignored_modality_reads_zero_and_used_one_positive():
    model = model_ignoring(1)
    batch = tiny_batch(model, size=32)
    with torch.no_grad():
        output = model(batch.inputs)
    terms = mi_terms(model, output, batch.labels, math.log(3), 8, torch.Generator().manual_seed(0))
    assert abs(terms["mi/U/b"]) < 1e-6 and abs(terms["mi/LLR/b"]) < 1e-5
    assert terms["mi/perm_importance/b"] == 1.0
    assert terms["mi/U/a"] > 0.05
    expected_keys = {f"mi/{k}/{m}" for k in ("U", "LLR", "perm_importance", "I") for m in "ab"}
    assert set(terms) == expected_keys | {"mi/I/joint", "mi/co_information", "mi/L_con", "mi/shared_bound"}


def test_cross_entropy_proxies_and_bounds():
    model = tiny_model()
    batch = tiny_batch(model, size=24)
    output = model(batch.inputs)
    entropy = 1.05
    terms = mi_terms(model, output, batch.labels, entropy, 2)
    joint = entropy - F.cross_entropy(output.logits, batch.labels).item()
    uni = [entropy - F.cross_entropy(output.unimodal_logits[:, j], batch.labels).item() for j in range(2)]
    assert terms["mi/I/joint"] == pytest.approx(joint, abs=1e-5)
    assert terms["mi/I/a"] == pytest.approx(uni[0], abs=1e-5)
    assert terms["mi/co_information"] == pytest.approx(sum(uni) - joint, abs=1e-5)
    con = supervised_nt_xent(output.features, batch.labels).item()
    assert terms["mi/L_con"] == pytest.approx(con, abs=1e-5)
    assert terms["mi/shared_bound"] == pytest.approx(math.log(24) - con, abs=1e-5)


def test_accumulator_is_the_average_of_equal_batches():
    model = model_ignoring(0)
    batches = [tiny_batch(model, size=16, seed=s) for s in (3, 4, 5)]
    accumulator = MIAccumulator(model, 1.0, 4, torch.Generator().manual_seed(9))
    generator = torch.Generator().manual_seed(9)
    per_batch, clean_correct = [], []
    with torch.no_grad():
        for batch in batches:
            output = model(batch.inputs)
            accumulator.update(output, batch.labels)
            per_batch.append(mi_terms(model, output, batch.labels, 1.0, 4, generator))
            clean_correct.append(float((output.logits.argmax(-1) == batch.labels).sum()))
    result = accumulator.result()
    for key in result:
        if "perm_importance" in key:
            weighted = sum(t[key] * c for t, c in zip(per_batch, clean_correct, strict=True))
            assert result[key] == pytest.approx(weighted / sum(clean_correct), abs=1e-6)
        else:
            assert result[key] == pytest.approx(np.mean([t[key] for t in per_batch]), abs=1e-5), key
    assert MIAccumulator(model, 1.0).result() == {}


def test_permutation_importance_is_nan_when_nothing_is_right():
    model = tiny_model()
    batch = tiny_batch(model)
    with torch.no_grad():
        output = model(batch.inputs)
    wrong = (output.logits.argmax(-1) + 1) % 3
    terms = mi_terms(model, output, wrong, 1.0)
    assert math.isnan(terms["mi/perm_importance/a"]) and math.isfinite(terms["mi/U/a"])
