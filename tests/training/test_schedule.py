"""The default learning-rate schedule: linear warm-up, cosine decay to 0, and the step schedule."""

import pytest

from core import events as ev
from core.config import OptimConfig
from core.training.schedule import lr_factor
from tests.synthetic import vector_data
from tests.training.test_engine import of_type, run_engine, small_config


def test_defaults_warm_up_over_the_first_epoch_then_fall_by_cosine_to_zero():
    optim = OptimConfig(epochs=4)
    assert (optim.optimizer, optim.lr_schedule, optim.lr_warmup_epochs) == ("adamw", "cosine", 1.0)
    assert lr_factor(optim, 0, 0, 10) == pytest.approx(0.1 * (0.5 + 0.5 * 1.0))  # first step already moves
    assert lr_factor(optim, 0, 4, 10) == pytest.approx(0.5 * (0.5 + 0.5 * 0.9510565163))
    assert lr_factor(optim, 2, 0, 10) == pytest.approx(0.5)  # half way: cos(pi / 2)
    assert 0 < lr_factor(optim, 3, 9, 10) < 0.01  # the last step


def test_constant_and_step_schedules():
    assert lr_factor(OptimConfig(lr_schedule="constant", lr_warmup_epochs=0), 5, 3, 10) == 1.0
    step = OptimConfig(lr_step_epochs=2, lr_gamma=0.1, lr_warmup_epochs=0)
    assert [lr_factor(step, e, 0, 10) for e in range(5)] == pytest.approx([1, 1, 0.1, 0.1, 0.01])


def test_the_engine_follows_the_schedule_at_every_step(tmp_path):
    config, data = small_config(epochs=2), vector_data(n=40)
    steps = -(-len(data.samples.split_indices("train")) // config.optim.batch_size)
    _, outcome, seen = run_engine(tmp_path, config, data)
    assert not outcome.failed
    reported = [e.metrics["lr"] for e in of_type(seen, ev.EpochMetrics)]  # the rate of each epoch's last step
    expected = [config.optim.lr * lr_factor(config.optim, e, steps - 1, steps) for e in range(2)]
    assert reported == pytest.approx(expected)
