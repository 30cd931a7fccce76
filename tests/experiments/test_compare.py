"""Run comparison on hand-made outcomes: fixed / broken counts and lists, samples matched by id,
per-class rows, the paired difference, and the per-sample CSV."""

import csv

import numpy as np
import pytest

from core.experiments.compare import compare_outcomes, comparison_text, write_pairs_csv
from core.experiments.readout import SplitOutcome
from core.report.errors import ReportError

CLASSES = ["cat", "dog"]


def outcome(ids, labels, prediction, phi, heads=(0.5, 0.25)):
    labels, prediction = np.asarray(labels), np.asarray(prediction)
    return SplitOutcome(
        split="test",
        epoch=2,
        ids=np.asarray(ids, dtype=object),
        labels=labels,
        prediction=prediction,
        correct=labels == prediction,
        phi=np.asarray(phi, dtype=np.float64),
        modalities=["audio", "video"],
        class_names=CLASSES,
        head_accuracy=dict(zip(["audio", "video"], heads, strict=True)),
    )


def test_fixed_and_broken_counted_on_the_samples_both_runs_hold():
    #          s0 s1 s2 s3 s4 s5 (A only: a0)
    labels = [0, 0, 1, 1, 0, 1, 1]
    a = outcome(["s0", "s1", "s2", "s3", "s4", "s5", "a0"], labels, [1, 0, 1, 0, 1, 1, 1], [[1, 0]] * 7)
    # B lists its samples in another order and has one A lacks; s0 fixed, s2 broken, s3 fixed
    b_ids = ["s5", "s4", "s3", "s2", "s1", "s0", "b0"]
    b_labels = [1, 0, 1, 1, 0, 0, 0]
    b_pred = [1, 1, 1, 0, 0, 0, 0]
    b = outcome(b_ids, b_labels, b_pred, [[0, 2], [0, 2], [0, 2], [0.5, 0.5], [0, 2], [2, 0], [0, 0]])
    c = compare_outcomes(a, b)
    assert (c.count("fixed"), c.count("broken"), c.count("both right"), c.count("both wrong")) == (2, 1, 2, 1)
    assert (c.only_a, c.only_b) == (1, 1)
    assert sorted(c.a.ids[c.samples("fixed")].tolist()) == ["s0", "s3"]
    assert c.a.ids[c.samples("broken")].tolist() == ["s2"]
    assert c.b.ids.tolist() == c.a.ids.tolist()  # B put in A's order
    assert c.difference.value == pytest.approx(4 / 6 - 3 / 6)
    assert c.difference.low <= c.difference.value <= c.difference.high
    cat, dog = c.classes
    assert (cat.name, cat.samples, cat.fixed, cat.broken) == ("cat", 3, 1, 0)
    assert (dog.name, dog.samples, dog.fixed, dog.broken) == ("dog", 3, 1, 1)
    assert cat.phi_b.tolist() == pytest.approx([2 / 3, 4 / 3])  # s0 [2, 0], s1 [0, 2], s4 [0, 2]
    text = comparison_text(c, ("A", "B"), list_samples=True)
    assert "fixed by B (wrong in A, right in B): 2; broken by B (right in A, wrong in B): 1" in text
    assert "  s2  label dog  A says dog, B says cat" in text


def test_the_per_sample_csv_holds_both_runs_phi(tmp_path):
    a = outcome(["x", "y"], [0, 1], [1, 1], [[0.1, 0.9], [0.4, 0.6]])
    b = outcome(["y", "x"], [1, 0], [0, 0], [[1.0, 0.0], [0.3, 0.7]])
    rows = write_pairs_csv(compare_outcomes(a, b), tmp_path / "pairs.csv")
    with (tmp_path / "pairs.csv").open(encoding="utf-8") as handle:
        read = list(csv.DictReader(handle))
    assert rows == 2
    assert read[0] == {
        "id": "x",
        "label": "cat",
        "prediction_a": "dog",
        "prediction_b": "cat",
        "category": "fixed",
        "phi_a/audio": "0.1",
        "phi_a/video": "0.9",
        "phi_b/audio": "0.3",
        "phi_b/video": "0.7",
    }
    assert read[1]["category"] == "broken"


def test_runs_of_different_data_are_refused():
    a = outcome(["x"], [0], [0], [[1, 0]])
    with pytest.raises(ReportError, match="share no sample"):
        compare_outcomes(a, outcome(["z"], [0], [0], [[1, 0]]))
    with pytest.raises(ReportError, match="different labels"):
        compare_outcomes(a, outcome(["x"], [1], [0], [[1, 0]]))
