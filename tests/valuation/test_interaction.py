"""The pairwise Shapley interaction index equals shapiq's exact SII on random games, under every value function."""

import dataclasses
import itertools
from math import factorial

import numpy as np
import pytest
import shapiq

from core.valuation.interaction import modality_pairs, pair_interactions, pair_labels
from core.valuation.recompute import revalue
from core.valuation.result import coalition_members
from core.valuation.value_functions import VALUE_FUNCTIONS


def shapiq_pairs(values: np.ndarray) -> np.ndarray:
    """Order-2 SII of one game given as coalition values [2^M] (bitmask order), computed by shapiq."""
    m = len(values).bit_length() - 1
    weights = 1 << np.arange(m)

    def game(coalitions: np.ndarray) -> np.ndarray:
        return values[np.asarray(coalitions, dtype=np.int64) @ weights]

    found = shapiq.ExactComputer(n_players=m, game=game)(index="SII", order=2)
    return np.array([found[pair] for pair in itertools.combinations(range(m), 2)])


def permutation_pairs(values: np.ndarray) -> np.ndarray:
    """Second independent check: I_ij as the mean over orderings of the players other than i, j, with
    the pair merged into one player, of the pair's joint marginal minus its two single marginals."""
    m = len(values).bit_length() - 1
    out = []
    for i, j in itertools.combinations(range(m), 2):
        others = [k for k in range(m) if k not in (i, j)]
        total = 0.0
        for order in itertools.permutations(others + ["ij"]):
            before = order[: order.index("ij")]
            s = sum(1 << k for k in before)
            total += values[s | 1 << i | 1 << j] - values[s | 1 << i] - values[s | 1 << j] + values[s]
        out.append(total / factorial(m - 1))
    return np.array(out)


@pytest.mark.parametrize("m", [2, 3, 4])
def test_equals_shapiq_on_random_games(m):
    games = np.random.default_rng(m).normal(size=(6, 2**m))  # v(∅) not 0: the index does not need it
    ours = pair_interactions(games)
    assert ours.shape == (6, m * (m - 1) // 2)
    for row, game in zip(ours, games, strict=True):
        np.testing.assert_allclose(row, shapiq_pairs(game), atol=1e-10)
        np.testing.assert_allclose(row, permutation_pairs(game), atol=1e-10)


@pytest.mark.parametrize("value_fn", VALUE_FUNCTIONS.names())
def test_equals_shapiq_under_every_value_function(value_fn):
    m = 3
    rng = np.random.default_rng(7)
    correct = rng.random((2, 5, 2**m)) < 0.5
    log_p = np.log(rng.dirichlet(np.ones(4), size=(2, 5, 2**m))[..., 0]).astype(np.float32)
    _, values = revalue(correct, log_p, value_fn)
    ours = pair_interactions(values)
    assert ours.shape == (2, 5, 3)
    for epoch, sample in itertools.product(range(2), range(5)):
        np.testing.assert_allclose(ours[epoch, sample], shapiq_pairs(values[epoch, sample].astype(np.float64)),
                                   rtol=1e-6, atol=1e-6)


def test_synergy_redundancy_and_additive_games():
    # columns: ∅, a, b, ab
    assert pair_interactions(np.array([0.0, 0.0, 0.0, 1.0]))[0] == 1.0  # only together: synergy
    assert pair_interactions(np.array([0.0, 1.0, 1.0, 1.0]))[0] == -1.0  # either suffices: redundancy
    members = coalition_members(4)
    additive = members @ np.array([0.3, -1.0, 2.0, 0.5])
    np.testing.assert_allclose(pair_interactions(additive), 0.0, atol=1e-12)


def test_missing_values_and_bad_shapes():
    values = np.array([[0.0, 1.0, 2.0, 4.0], [np.nan] * 4])
    out = pair_interactions(values)
    assert out[0, 0] == 1.0 and np.isnan(out[1, 0])
    assert pair_interactions(np.zeros((3, 2))).shape == (3, 0)  # one modality: no pair
    for bad in (np.zeros((3, 6)), np.zeros((3, 1)), np.zeros((3, 0))):
        with pytest.raises(ValueError, match="2\\^M"):
            pair_interactions(bad)


def test_pair_order_and_labels():
    assert modality_pairs(3) == [(0, 1), (0, 2), (1, 2)]
    assert pair_labels(["audio", "video", "text"]) == ["audio×video", "audio×text", "video×text"]
    assert pair_labels(["a", "b"], "+") == ["a+b"]


@pytest.fixture
def stats_report(tmp_path):
    """A finished 3-epoch report (tests/report/run_events) whose train valuations carry coalition statistics."""
    from core.events import ValuationReady
    from core.report import ReportWriter
    from tests.report import run_events as ev

    data = ev.prepared()
    path = tmp_path / "run.h5"
    writer = ReportWriter(path)
    rng = np.random.default_rng(3)
    for event in ev.run(data, epochs=3):
        if isinstance(event, ValuationReady) and event.result.split == "train":
            shape = event.result.coalition_values.shape
            correct = rng.random(shape) < 0.5
            log_p = np.log(rng.uniform(0.05, 1.0, shape)).astype(np.float32)
            phi, values = revalue(correct, log_p, "benefit")
            event = ValuationReady(dataclasses.replace(event.result, phi=phi, coalition_values=values,
                                                       coalition_correct=correct, coalition_log_p=log_p))
        writer(event)
    return path


def test_reports_give_interactions_when_read(stats_report):
    from core.report import open_report

    with open_report(stats_report) as report:
        train = report.valuation["train"]
        assert train.pairs == ["audio×video"]
        v = train.coalition_values  # columns ∅, audio, video, audio+video
        np.testing.assert_allclose(train.interaction_as()[..., 0], v[..., 3] - v[..., 1] - v[..., 2] + v[..., 0],
                                   atol=1e-6)
        for value_fn in VALUE_FUNCTIONS.names():
            _, values = revalue(train.coalition_correct, train.coalition_log_p, value_fn)
            np.testing.assert_allclose(train.interaction_as(value_fn), pair_interactions(values), atol=1e-6)


def test_csv_export_has_interaction_columns(stats_report, tmp_path, capsys):
    import csv

    from core.report import open_report
    from tests.report.test_export_and_cli import run_cli

    out = tmp_path / "x.csv"
    assert run_cli("report", "export", str(stats_report), "--csv", str(out), "--interaction") == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[4:] == [f"phi/{m}/e{e}" for e in (1, 2, 3) for m in ("audio", "video")] + [
        f"interaction/audio+video/e{e}" for e in (1, 2, 3)
    ]
    with open_report(stats_report) as report:
        expected = report.valuation["train"].interaction_as()[..., 0]  # [epoch, sample]
        probability = report.valuation["train"].interaction_as("probability")[1, :, 0]
    got = np.array([[float(r[f"interaction/audio+video/e{e}"]) for e in (1, 2, 3)] for r in rows])
    np.testing.assert_allclose(got, expected.T, rtol=1e-6, atol=1e-7)

    assert run_cli("report", "export", str(stats_report), "--csv", str(out), "--interaction", "--epoch", "2",
                   "--value-fn", "probability") == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert list(rows[0])[4:] == ["phi/audio/e2", "phi/video/e2", "interaction/audio+video/e2"]
    np.testing.assert_allclose([float(r["interaction/audio+video/e2"]) for r in rows], probability, rtol=1e-6)

    assert run_cli("report", "export", str(stats_report), "--csv", str(out)) == 0  # without: as before
    assert not any(name.startswith("interaction/") for name in next(csv.reader(out.open(encoding="utf-8"))))
    assert run_cli("report", "export", str(stats_report), "--h5", str(tmp_path / "c.h5"), "--interaction") == 2
    assert "--interaction applies to --csv only" in capsys.readouterr().err
