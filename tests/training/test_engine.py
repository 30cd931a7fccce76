"""The engine trains, values every training sample after every epoch, checkpoints, resumes and stops cleanly."""

import threading

import numpy as np
import pytest

from core import events as ev
from core.config import RunConfig
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine
from tests.synthetic import vector_data


def small_config(epochs=2, **strategy):
    config = RunConfig()
    config.optim.epochs = epochs
    config.optim.batch_size = 16
    config.optim.lr = 1e-2
    config.model.feature_dim = 8
    config.runtime.device = "cpu"
    if strategy:
        config.strategy.name = strategy.pop("name")
        config.strategy.params = strategy
    return config


def run_engine(tmp_path, config, data, **kwargs):
    engine = Engine(config, tmp_path / "run", data=data, **kwargs)
    seen = []
    engine.bus.subscribe(seen.append)
    outcome = engine.run()
    return engine, outcome, seen


def of_type(events, kind):
    return [e for e in events if isinstance(e, kind)]


def test_run_emits_events_values_every_epoch_and_checkpoints(tmp_path):
    data = vector_data(n=60)
    _, outcome, seen = run_engine(tmp_path, small_config(), data)
    assert not outcome.failed and outcome.epochs_done == 2, of_type(seen, ev.RunFailed)
    assert isinstance(seen[0], ev.RunStarted) and isinstance(seen[-1], ev.RunFinished)
    every = [e.result for e in of_type(seen, ev.ValuationReady)]
    assert [(v.epoch, v.split) for v in every] == [(0, "train"), (0, "val"), (1, "train"), (1, "val")]
    train = data.samples.split_indices("train")
    for v in every:
        np.testing.assert_array_equal(v.sample_index, data.samples.split_indices(v.split))
        np.testing.assert_allclose(v.phi.sum(axis=1), v.coalition_values[:, -1], atol=1e-5)
    epochs = of_type(seen, ev.EpochMetrics)
    assert {"train/loss", "val/acc", "val/acc/a", "val/mi/U/a"} <= set(epochs[-1].metrics)
    assert len(of_type(seen, ev.StepMetrics)) == 2 * -(-len(train) // 16)
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert state["next_epoch"] == 2
    assert (tmp_path / "run" / "config.toml").is_file()


def test_seeded_cpu_runs_repeat_exactly(tmp_path):
    data = vector_data(n=40)
    runs = [run_engine(tmp_path / str(i), small_config(), data)[2] for i in range(2)]
    phis = [[e.result.phi for e in of_type(s, ev.ValuationReady)] for s in runs]
    losses = [[e.metrics["loss"] for e in of_type(s, ev.StepMetrics)] for s in runs]
    assert losses[0] == losses[1]
    for a, b in zip(*phis):
        np.testing.assert_array_equal(a, b)


def test_resume_continues_where_the_checkpoint_left(tmp_path):
    data = vector_data(n=40)
    config = small_config(epochs=3)
    _, _, full = run_engine(tmp_path / "full", config, data)
    short = small_config(epochs=2)
    run_engine(tmp_path / "part", short, data)
    _, outcome, resumed = run_engine(
        tmp_path / "part", config, data, resume_from=tmp_path / "part" / "run" / "checkpoints" / "last.pt"
    )
    assert outcome.epochs_done == 3
    assert [e.result.epoch for e in of_type(resumed, ev.ValuationReady) if e.result.split == "train"] == [2]
    np.testing.assert_allclose(
        of_type(resumed, ev.ValuationReady)[-1].result.coalition_values,
        of_type(full, ev.ValuationReady)[-1].result.coalition_values,
    )


def test_stop_from_another_thread_ends_cleanly_with_checkpoint(tmp_path):
    data = vector_data(n=200)
    config = small_config(epochs=50)
    engine = Engine(config, tmp_path / "run", data=data)
    steps = threading.Event()
    engine.bus.subscribe(
        lambda e: steps.set() if isinstance(e, ev.StepMetrics) and e.global_step >= 3 else None
    )
    finished = []
    engine.bus.subscribe(lambda e: finished.append(e) if isinstance(e, ev.RunFinished) else None)
    worker = threading.Thread(target=engine.run)
    worker.start()
    assert steps.wait(30)
    engine.pause()
    engine.request_stop()
    worker.join(30)
    assert not worker.is_alive()
    assert finished and finished[0].stopped
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()


def test_user_request_adds_copies_keeping_one_modality(tmp_path):
    data = vector_data(n=40)
    engine = Engine(small_config(epochs=2), tmp_path / "run", data=data)
    plans = []
    engine.bus.subscribe(lambda e: plans.append(e) if isinstance(e, ev.ResamplingPlanned) else None)
    engine.requests.add([0, 1, 2], "b", copies=2, epochs=1)
    engine.run()
    assert plans[0].copies.sum() == 6 and set(plans[0].modality) == {1} and plans[0].user_requested.all()
    assert plans[1].copies.sum() == 0


def test_bad_strategy_is_reported_as_failure(tmp_path):
    _, outcome, seen = run_engine(tmp_path, small_config(name="no-such-strategy"), vector_data(n=20))
    assert outcome.failed
    assert "unknown strategy 'no-such-strategy'" in of_type(seen, ev.RunFailed)[0].error


@pytest.mark.parametrize("value_fn", ["accuracy", "log-probability"])
def test_value_function_is_configurable(tmp_path, value_fn):
    config = small_config(epochs=1)
    config.valuation.value_fn = value_fn
    _, _, seen = run_engine(tmp_path, config, vector_data(n=30))
    assert of_type(seen, ev.ValuationReady)[0].result.value_fn == value_fn


def test_unimodal_probes_learn_without_touching_the_encoders(tmp_path):
    """With `joint`, the unimodal heads are fitted as probes on detached features: they become accurate
    for the informative modality while encoders get no gradient from them."""
    import torch

    from core.models.multimodal import ModelOutput, build_model_for_data
    from core.training.loop import probe_loss

    data = vector_data(n=90, informative=("a",))
    config = small_config(epochs=4)
    config.optim.lr_schedule, config.optim.lr_warmup_epochs = "constant", 0.0  # 24 steps: no room for a schedule
    _, _, seen = run_engine(tmp_path, config, data)
    last = of_type(seen, ev.EpochMetrics)[-1].metrics
    assert last["val/acc/a"] > 0.6 and last["val/acc/a"] > last["val/acc/b"]

    model = build_model_for_data(data, config.model)
    x = {m: torch.from_numpy(data.arrays[m][:8]) for m in data.samples.modalities}
    features = model.encode(x)
    output = ModelOutput(features, model.fuse(features), model.unimodal(features))
    probe_loss(model, output, torch.from_numpy(data.samples.labels[:8])).backward()
    assert all(p.grad is None for p in model.encoders.parameters())
    assert all(p.grad is not None for p in model.unimodal_heads.parameters())


def test_resampling_without_the_training_split_valued_is_refused(tmp_path):
    config = small_config(name="sample-resampling", warmup_epochs=1)
    config.valuation.splits = ["val"]
    _, outcome, seen = run_engine(tmp_path, config, vector_data(n=20))
    assert outcome.failed
    assert "leaves 'train' out" in of_type(seen, ev.RunFailed)[0].error


def test_input_level_absence_zeroes_the_dropped_modalities_inputs_of_copies(tmp_path, monkeypatch):
    import torch

    from core.models.multimodal import MultimodalModel, zero_absent_inputs

    inputs = {"a": torch.ones(3, 4), "b": torch.ones(3, 2, 2)}
    keep = torch.tensor([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    zeroed = zero_absent_inputs(inputs, keep, ["a", "b"])
    assert zeroed["a"].sum(dim=1).tolist() == [4, 4, 0] and zeroed["b"].sum(dim=(1, 2)).tolist() == [4, 0, 4]

    calls = []
    original = MultimodalModel.forward

    def spy(self, inputs, keep=None, baseline=None):
        if self.training:
            calls.append((keep, {m: x.detach().clone() for m, x in inputs.items()}))
        return original(self, inputs, keep, baseline)

    monkeypatch.setattr(MultimodalModel, "forward", spy)
    config = small_config(epochs=1)
    config.valuation.absence = "input"
    data = vector_data(n=40)
    engine = Engine(config, tmp_path / "run", data=data)
    engine.requests.add(np.arange(40), "b", copies=1, epochs=1)
    assert not engine.run().failed
    assert calls and all(keep is None for keep, _ in calls)
    rows_without_a = sum(int((x["a"].abs().sum(dim=1) == 0).sum()) for _, x in calls)
    assert rows_without_a == len(data.samples.split_indices("train"))  # exactly the copies that keep only "b"


def test_requests_never_copy_validation_or_test_samples_into_training():
    from core.strategies.base import PlannedCopies
    from core.training.plan import build_plan
    from core.training.requests import ResamplingRequest

    request = ResamplingRequest(id=1, sample_index=np.array([1, 5, 7]), modality="b", copies=2, start_epoch=0,
                                epochs=1)
    plan = build_plan(np.array([0, 1, 2, 7]), 2, PlannedCopies.none(), [request], ["a", "b"])
    assert plan.copy_sample.tolist() == [1, 7] and plan.copy_count.tolist() == [2, 2]
    assert 5 not in plan.index.tolist()


def test_encoders_can_start_from_another_runs_checkpoint(tmp_path):
    import torch

    data = vector_data(n=40)
    _, first, _ = run_engine(tmp_path / "a", small_config(epochs=1, name="ensemble"), data)
    source = load_checkpoint(first.run_dir / "checkpoints" / "last.pt")["model"]
    config = small_config(epochs=1, name="mcr")
    config.optim.lr = 0.0
    config.optim.weight_decay = 0.0
    config.model.init_encoders_from = str(first.run_dir / "checkpoints" / "last.pt")
    _, second, seen = run_engine(tmp_path / "b", config, data)
    assert not second.failed
    started = load_checkpoint(second.run_dir / "checkpoints" / "last.pt")["model"]
    encoder_keys = [k for k in source if k.startswith("encoders.")]
    assert encoder_keys and all(torch.equal(source[k], started[k]) for k in encoder_keys)
    assert not torch.equal(source["fusion.weight"], started["fusion.weight"])  # heads start fresh
    assert any("encoders initialised from" in e.text for e in of_type(seen, ev.LogMessage))

    config.model.feature_dim = 4  # encoders of another width do not fit
    _, third, seen = run_engine(tmp_path / "c", config, data)
    assert third.failed and "do not fit" in of_type(seen, ev.RunFailed)[0].error


def test_ddp_looks_for_unused_parameters_only_when_the_forward_pass_leaves_some():
    """Under torchrun the engine sets DDP's find_unused_parameters from this (True for every model
    printed one warning per rank); the cosine head of mmcosine leaves the fusion bias out of the graph."""
    import torch

    from core.config import ModelConfig
    from core.models.multimodal import build_model_for_data
    from core.strategies import create_strategy
    from core.training.distributed import unreached_parameters

    data = vector_data(n=8)
    inputs = {m: torch.from_numpy(data.arrays[m][:4]) for m in data.samples.modalities}
    model = build_model_for_data(data, ModelConfig(feature_dim=4))
    assert unreached_parameters(model, inputs) == []
    create_strategy("mmcosine", {}, model)
    assert unreached_parameters(model, inputs) == ["fusion.bias"]
    assert model.training  # the probe ran in eval mode and left the mode as it was
