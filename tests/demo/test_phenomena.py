"""The imbalance each phenomenon preset is built to show is there, at a small size, through the real
generator, data preparation and training engine (the full sizes: ``benchmarks/phenomena.py``)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import torch

from core import events as ev
from core.config import DataConfig, RunConfig
from core.data.prepare import prepare_dataset
from core.data.tensors import PreparedData
from core.demo import generate_demo
from core.training.engine import Engine


def prepared(folder: Path, preset: str, samples: int, **extra) -> PreparedData:
    generate_demo(folder, preset, samples, seed=0, **extra)
    return prepare_dataset(DataConfig(path=str(folder)))


def train(
    tmp_path: Path, data: PreparedData, strategy: str, epochs: int, value_fn: str = "", **params
) -> tuple[dict[str, float], list]:
    """The last epoch's metrics of one run, and the test split's valuations when ``value_fn`` is given."""
    config = RunConfig()
    config.optim.epochs = epochs
    config.runtime.device = "cpu"
    config.runtime.mi_every_steps = 0
    config.runtime.log_every_steps = 0
    config.valuation.splits = ["test"] if value_fn else []
    config.valuation.value_fn = value_fn or config.valuation.value_fn
    config.strategy.name = strategy
    config.strategy.params = params
    seen: list = []
    engine = Engine(config, tmp_path / f"run-{strategy}-{'-'.join(map(str, params.values()))}", data=data)
    engine.bus.subscribe(seen.append)
    torch.manual_seed(0)
    outcome = engine.run()
    assert not outcome.failed, outcome.error
    metrics = [e.metrics for e in seen if isinstance(e, ev.EpochMetrics)][-1]
    return metrics, [e.result for e in seen if isinstance(e, ev.ValuationReady)]


def held_out(metrics: dict[str, float], key: str = "acc") -> float:
    """Accuracy over the validation and test splits together (they are equally large)."""
    return (metrics[f"val/{key}"] + metrics[f"test/{key}"]) / 2


def test_greedy_joint_training_leaves_the_slow_modality_under_trained_yet_uses_it(tmp_path):
    data = prepared(tmp_path / "greedy", "greedy", 1000)
    joint, _ = train(tmp_path, data, "joint", 12)
    fast_alone, _ = train(tmp_path, data, "unimodal", 12, modality="fast")
    slow_alone, _ = train(tmp_path, data, "unimodal", 12, modality="slow")
    assert held_out(slow_alone) > 0.4  # learnable alone (chance is 0.1)
    assert held_out(joint, "acc/slow") <= 0.7 * held_out(slow_alone)  # under-trained inside joint
    assert held_out(joint) > held_out(fast_alone) + 0.03  # yet the fused model gains from it


def test_per_sample_contributions_point_at_the_informative_modality_and_balance_on_average(tmp_path):
    data = prepared(tmp_path / "per-sample", "per-sample", 1000)
    _, valuations = train(tmp_path, data, "joint", 12, value_fn="probability")
    result = valuations[-1]
    informative = data.samples.metadata["informative"][result.sample_index]
    x1, x2 = (result.modalities.index(m) for m in ("x1", "x2"))
    gap = result.phi[:, x1] - result.phi[:, x2]
    agree = np.where(informative == "x1", gap > 0, gap < 0)
    assert agree.mean() >= 0.8
    assert abs(gap.mean()) < 0.25 * np.abs(gap).mean()  # balanced on average, not per sample


def test_per_sample_manifest_records_one_informative_modality_per_sample(tmp_path):
    root = generate_demo(tmp_path / "p", "per-sample", 40, seed=1)
    with (root / "manifest.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "label", "split", "x1", "x2", "informative"]
    assert sorted(r["informative"] for r in rows) == ["x1"] * 20 + ["x2"] * 20


@pytest.mark.parametrize("ratio", [0.25, 4.0])
def test_mcr_synthetic_has_the_papers_layout_and_joint_learns_it(tmp_path, ratio):
    data = prepared(tmp_path / f"mcr{ratio}", "mcr-synthetic", 700, unique_ratio=ratio)
    assert {s: int((data.samples.splits == s).sum()) for s in ("train", "val", "test")} == {
        "train": 500,
        "val": 100,
        "test": 100,
    }
    assert data.arrays["x1"].shape == (700, 100) and len(data.samples.class_names) == 5
    metrics, _ = train(tmp_path, data, "joint", 8)
    assert held_out(metrics) > 0.5  # chance is 0.2


def test_cli_writes_a_presets_own_default_size(tmp_path, capsys):
    from core.cli.main import main

    assert main(["demo", "--scenario", "greedy", "--out", str(tmp_path / "g")]) == 0
    assert "wrote 2000 greedy samples" in capsys.readouterr().out
    assert len(list((tmp_path / "g" / "slow").iterdir())) == 2000


def _centroid_accuracy(features: np.ndarray, labels: np.ndarray, rows: np.ndarray) -> float:
    """Nearest-class-mean accuracy on the second half of ``rows``, means from the first half."""
    fit, held = rows[: len(rows) // 2], rows[len(rows) // 2 :]
    means = np.stack([features[fit][labels[fit] == c].mean(0) for c in range(5)])
    guess = np.argmin(((features[held, None, :] - means[None]) ** 2).sum(-1), axis=1)
    return float((guess == labels[held]).mean())


def test_per_sample_other_modality_holds_weak_evidence_not_noise():
    from core.demo.vector_presets import vector_samples

    samples = vector_samples("per-sample", 4000, seed=0, unique_ratio=0.0)
    informative = samples.metadata["informative"]
    for name in ("x1", "x2"):
        carried = _centroid_accuracy(
            samples.features[name], samples.labels, np.flatnonzero(informative == name)
        )
        weak = _centroid_accuracy(samples.features[name], samples.labels, np.flatnonzero(informative != name))
        assert carried > 0.9 and 0.3 < weak < 0.75  # chance is 0.2
