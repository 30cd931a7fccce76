"""While a run trains, Python's thread switch interval is the runner's short one (a thread waiting for
the GIL held by the engine's thread gets it sooner); afterwards the process's own is back."""

from __future__ import annotations

import sys

from app.runner import ENGINE_SWITCH_INTERVAL_S, TrainingRunner
from app.session import Session
from core.config import RunConfig


def test_the_switch_interval_is_short_during_a_run_and_restored_after(qtbot, vector_demo, tmp_path):
    before = sys.getswitchinterval()
    assert before > ENGINE_SWITCH_INTERVAL_S
    runner = TrainingRunner(Session())
    config = RunConfig()
    config.data.path, config.optim.batch_size, config.optim.epochs = str(vector_demo), 8, 1
    seen: list[float] = []
    try:
        with qtbot.waitSignal(runner.finished, timeout=60_000):
            engine = runner.start(config, tmp_path / "run")
            engine.bus.subscribe(lambda _event: seen.append(sys.getswitchinterval()))
        assert seen and set(seen) == {ENGINE_SWITCH_INTERVAL_S}
        assert sys.getswitchinterval() == before
    finally:
        assert runner.shutdown(timeout_s=30)
