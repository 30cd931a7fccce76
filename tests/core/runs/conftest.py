"""One short mmcosine run on the vector demo, started through :func:`core.runs.start.start_run`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from core import events as ev
from core.config import RunConfig


@dataclass(frozen=True)
class StartedRun:
    run_dir: Path
    data_dir: Path
    events: list
    report_existed_at_start: bool
    """Whether the report file existed when a listener passed to start_run saw RunStarted."""


def run_config(data_dir: Path, epochs: int = 2) -> RunConfig:
    config = RunConfig()
    config.data.path = str(data_dir)
    config.optim.epochs = epochs
    config.optim.batch_size = 16
    config.model.feature_dim = 8
    config.runtime.device = "cpu"
    config.strategy.name = "mmcosine"
    config.strategy.params = {"scaling": 5.0}
    config.valuation.splits = ["train", "val"]
    return config


@pytest.fixture(scope="package")
def demo_dir(tmp_path_factory) -> Path:
    from core.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo") / "vectors", preset="vectors", samples=48)


@pytest.fixture(scope="package")
def started_run(tmp_path_factory, demo_dir) -> StartedRun:
    from core.runs.start import start_run

    run_dir = tmp_path_factory.mktemp("runs") / "run"
    seen: list = []
    existed: list[bool] = []

    def listener(event) -> None:
        if isinstance(event, ev.RunStarted):
            existed.append((run_dir / "report.h5").is_file())
        seen.append(event)

    engine = start_run(run_config(demo_dir), run_dir, [listener])
    outcome = engine.run()
    assert not outcome.failed, [e.error for e in seen if isinstance(e, ev.RunFailed)]
    return StartedRun(run_dir, demo_dir, seen, existed == [True])
