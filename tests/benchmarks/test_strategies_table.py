"""The strategy benchmark's table: per-method quality, imbalance and cost over seeds, the noise yardstick."""

import argparse

import numpy as np
import pytest

from benchmarks.strategies import FULL, chosen_settings, dataset_table, noise, summarise, yardstick


def result(strategy, seed, acc, f1, heads, phi, params=1000.0, flops=2e6, train_time=3.0):
    return {
        "dataset": "d", "seed": seed, "strategy": strategy, "params": {}, "error": None, "seconds": 5.0,
        "test_acc": acc, "test_f1": f1, "head_acc": heads, "val_acc": acc, "modalities": ["x", "y"],
        "mean_phi": phi, "model_params": params, "flops_per_sample": flops, "train_time_s": train_time,
    }


def test_noise_is_the_difference_of_means_and_twice_its_standard_error():
    difference, twice = noise(np.array([1.0, 2.0, 3.0]), np.array([0.0, 0.0, 0.0]))
    # var(a) = 1 with ddof 1, so s.e. = sqrt(1/3)
    assert difference == 2.0 and twice == pytest.approx(2 / np.sqrt(3))
    assert yardstick(np.array([1.0, 2.0, 3.0]), np.zeros(3)) == "**+2.000** (2 s.e. 1.155)"
    # both variances 0.02: 2 s.e. = 2·sqrt(0.01 + 0.01) = 0.283 > 0.2, not bold
    assert yardstick(np.array([0.5, 0.7]), np.array([0.3, 0.5])) == "+0.200 (2 s.e. 0.283)"
    assert noise(np.array([1.0]), np.array([0.5, 0.7])) == (pytest.approx(0.4), None)


def test_table_row_holds_quality_imbalance_and_cost_over_seeds():
    results = [
        result("joint", 0, 0.8, 0.7, [0.5, 0.6], [1.0, 0.4]),
        result("joint", 1, 0.6, 0.5, [0.7, 0.8], [0.8, 0.6]),
        result("ensemble", 0, 0.9, 0.9, [0.6, 0.6], [0.7, 0.7], params=1500.0, train_time=5.0),
        result("ensemble", 1, 0.9, 0.8, [0.6, 0.6], [0.5, 0.9], params=1500.0, train_time=7.0),
    ]
    modalities, strong, cells = summarise(results, "d", ["ensemble", "joint"])
    assert modalities == ["x", "y"] and strong == 0  # joint's mean φ: x 0.9, y 0.5
    np.testing.assert_allclose(cells["ensemble"].gap, [0.0, -0.4])
    lines = dataset_table(modalities, strong, cells, {})
    assert lines[0].startswith("| strategy | non-default params | test acc | Δ acc vs joint | test F1 |")
    row = [cell.strip() for cell in lines[2].strip("|").split("|")]
    # acc 0.9 ± 0 vs joint 0.7 ± 0.141: difference 0.2, 2 s.e. = 2·sqrt(0.02 / 2) = 0.2 (not beyond)
    assert row == [
        "ensemble", "–", "0.900 ± 0.000", "+0.200 (2 s.e. 0.200)", "0.850 ± 0.071", "0.600 ± 0.000",
        "0.600 ± 0.000", "0.600", "0.800", "-0.200 ± 0.283", "0.200 ± 0.283", "1,500", "2,000,000",
        "6.00 ± 1.41", "5.0",
    ]
    assert [cell.strip() for cell in lines[3].strip("|").split("|")][3] == "–"  # joint against itself


def test_command_line_overrides_are_checked():
    def args(**given):
        options = {"strategies": None, "seeds": None, "epochs": None, "samples": None}
        return argparse.Namespace(**{**options, **given})

    settings = chosen_settings(FULL, args(strategies="mcr, joint", seeds=1, epochs=2, samples=40))
    assert settings.strategy_names() == ["joint", "mcr"]
    assert (settings.seeds, settings.media_epochs, settings.vector_epochs) == (1, 2, 2)
    assert settings.media_samples == settings.vector_samples == 40
    assert len(FULL.strategy_names()) >= 22
    with pytest.raises(ValueError, match="--strategies: unknown nope; known: .*joint"):
        chosen_settings(FULL, args(strategies="joint,nope"))
    with pytest.raises(ValueError, match="--epochs must be a positive integer, got 0"):
        chosen_settings(FULL, args(epochs=0))
