"""Every run's epoch metrics carry macro-F1 per head and split, φ imbalance, cost and cumulative time."""

import numpy as np
import pytest
import torch
from torch import nn

from core import events as ev
from core.models.multimodal import build_model_for_data
from core.report.reader import open_report
from core.report.summary import summary_text
from core.report.writer import ReportWriter
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine
from core.training.metrics import macro_f1
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def last_model(tmp_path, data, config):
    model = build_model_for_data(data, config.model)
    model.load_state_dict(load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["model"])
    return model


def predictions(model, data, index):
    with torch.no_grad():
        output = model.eval()({m: torch.from_numpy(data.arrays[m][index]) for m in data.samples.modalities})
    return output.logits.argmax(-1).numpy(), output.unimodal_logits.argmax(-1).numpy()


def test_epoch_metrics_hold_f1_imbalance_cost_and_time(tmp_path):
    data = vector_data(n=60)
    config = small_config(epochs=2)
    config.valuation.splits = ["train", "val"]
    _, outcome, seen = run_engine(tmp_path, config, data)
    assert not outcome.failed, outcome.error
    epochs = [e.metrics for e in of_type(seen, ev.EpochMetrics)]
    last = epochs[-1]

    model = last_model(tmp_path, data, config)
    val = data.samples.split_indices("val")
    fused, unimodal = predictions(model, data, val)
    assert last["val/f1"] == pytest.approx(macro_f1(data.samples.labels[val], fused, 3))
    for j, m in enumerate(data.samples.modalities):
        assert last[f"val/f1/{m}"] == pytest.approx(macro_f1(data.samples.labels[val], unimodal[:, j], 3))
    assert {"train/f1", "train/f1/a", "train/f1/b"} <= set(last)

    valuations = {e.result.split: e.result for e in of_type(seen, ev.ValuationReady) if e.result.epoch == 1}
    for split, result in valuations.items():
        mean = result.phi.astype(np.float64).mean(axis=0)
        assert last[f"{split}/phi_gap"] == pytest.approx(abs(mean[0] - mean[1]))
        assert last[f"{split}/phi_diff"] == pytest.approx(mean[0] - mean[1])
        shares = [last[f"{split}/dominant/a"], last[f"{split}/dominant/b"], last[f"{split}/phi_ties"]]
        assert sum(shares) == pytest.approx(1.0)
        assert shares[2] == pytest.approx(np.mean(result.phi[:, 0] == result.phi[:, 1]))

    linears = [layer for layer in model.modules() if isinstance(layer, nn.Linear)]
    assert last["model/params"] == sum(p.numel() for p in model.parameters())
    flops = sum(2 * layer.in_features * layer.out_features for layer in linears)
    assert last["model/flops_per_sample"] == flops
    assert epochs[0]["train_time_s"] == epochs[0]["epoch_time_s"]
    assert last["train_time_s"] == pytest.approx(epochs[0]["epoch_time_s"] + last["epoch_time_s"])


def test_train_f1_of_a_frozen_model_is_that_of_its_predictions(tmp_path):
    """With lr 0 the model never changes, so the epoch's running train F1 is the F1 of its predictions."""
    data = vector_data(n=60)
    config = small_config(epochs=1)
    config.optim.lr = 0.0
    config.optim.weight_decay = 0.0
    _, outcome, seen = run_engine(tmp_path, config, data)
    assert not outcome.failed, outcome.error
    train = data.samples.split_indices("train")
    fused, unimodal = predictions(last_model(tmp_path, data, config), data, train)
    metrics = of_type(seen, ev.EpochMetrics)[0].metrics
    assert metrics["train/f1"] == pytest.approx(macro_f1(data.samples.labels[train], fused, 3))
    assert metrics["train/f1/b"] == pytest.approx(macro_f1(data.samples.labels[train], unimodal[:, 1], 3))


def test_train_time_continues_across_a_resume(tmp_path):
    data = vector_data(n=40)
    run_engine(tmp_path, small_config(epochs=1), data)
    first = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["train_time_s"]
    _, _, resumed = run_engine(
        tmp_path, small_config(epochs=2), data, resume_from=tmp_path / "run" / "checkpoints" / "last.pt"
    )
    metrics = of_type(resumed, ev.EpochMetrics)[0].metrics
    assert first > 0 and metrics["train_time_s"] == pytest.approx(first + metrics["epoch_time_s"])


def test_report_stores_the_new_metrics_and_summary_shows_them(tmp_path):
    data = vector_data(n=60)
    config = small_config(epochs=2)
    engine = Engine(config, tmp_path / "run", data=data)
    engine.bus.subscribe(ReportWriter(tmp_path / "run" / "report.h5"), critical=True)
    seen = []
    engine.bus.subscribe(seen.append)
    assert not engine.run().failed
    last = of_type(seen, ev.EpochMetrics)[-1].metrics
    with open_report(tmp_path / "run" / "report.h5") as report:
        stored = report.epoch_metrics
        for key in ("val/f1", "val/f1/a", "train/f1/b", "train/phi_gap", "train/dominant/a", "model/params"):
            assert stored[key][-1] == pytest.approx(last[key]), key
        text = summary_text(report)
    cost = f"parameters {last['model/params']:,.0f}, FLOPs/sample {last['model/flops_per_sample']:,.0f}"
    assert cost in text
    assert f"val: acc {last['val/acc']:.4f}, acc/a {last['val/acc/a']:.4f}" in text
    assert f"f1/b {last['val/f1/b']:.4f}" in text
    imbalance = f"phi_gap {last['train/phi_gap']:.4f}, phi a - b {last['train/phi_diff']:+.4f}"
    assert f"train imbalance: {imbalance}" in text


def test_summary_gives_test_accuracy_at_the_best_val_epoch_beside_the_last(tmp_path):
    data = vector_data(n=60)
    data.samples.splits[50:] = "test"
    engine = Engine(small_config(epochs=3), tmp_path / "run", data=data)
    engine.bus.subscribe(ReportWriter(tmp_path / "run" / "report.h5"), critical=True)
    seen = []
    engine.bus.subscribe(seen.append)
    assert not engine.run().failed
    metrics = [e.metrics for e in of_type(seen, ev.EpochMetrics)]
    best = of_type(seen, ev.RunFinished)[0].best_epoch
    with open_report(tmp_path / "run" / "report.h5") as report:
        text = summary_text(report)
    expected = (
        f"best epoch {best + 1} (by val acc {metrics[best]['val/acc']:.4f}): test acc {metrics[best]['test/acc']:.4f}; "
        f"last epoch 3: test acc {metrics[-1]['test/acc']:.4f}"
    )
    assert expected in text


def test_best_epoch_from_series_of_their_own_epochs():
    from core.report.summary import best_epoch

    series = {"val/acc": ([1, 2, 3], [0.5, 0.8, 0.8]), "train/acc": ([1, 2, 3], [0.9, 0.95, 0.99]),
              "test/acc": ([1, 2, 3], [0.4, 0.7, 0.75])}
    found = best_epoch(series)
    assert (found.epoch, found.chosen_by, found.test_at_best, found.last_epoch, found.test_at_last) == (
        2, "val/acc", 0.7, 3, 0.75)
    assert found.text() == "best epoch 2 (by val acc 0.8000): test acc 0.7000; last epoch 3: test acc 0.7500"
    without_val = best_epoch({"train/acc": ([1, 2], [0.9, 0.8])})
    assert without_val.text() == "best epoch 1 (by train acc 0.9000)"
    assert best_epoch({}) is None
