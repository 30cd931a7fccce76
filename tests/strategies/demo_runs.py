"""Short engine runs of a strategy on the generated demo datasets (audio-visual clips and vectors)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core import events as ev
from core.config import RunConfig
from core.demo import generate_demo
from core.training.engine import Engine


def demo_folder(root: Path, preset: str) -> Path:
    """A small demo dataset of ``preset`` under ``root`` (generated once per folder)."""
    folder = root / preset
    if not (folder / "manifest.csv").exists():
        generate_demo(folder, preset=preset, samples=24 if preset != "vectors" else 48, seed=0)
    return folder


def train_on_demo(data: Path, run_dir: Path, name: str, params: dict[str, Any] | None = None) -> dict[str, float]:
    """Two epochs of ``name`` on a demo folder; asserts the run finished with finite losses and returns
    the last epoch's metrics."""
    config = RunConfig()
    config.data.path = str(data)
    config.optim.epochs = 2
    config.optim.batch_size = 8
    config.model.feature_dim = 8
    config.runtime.device = "cpu"
    config.strategy.name = name
    config.strategy.params = dict(params or {})
    engine = Engine(config, run_dir)
    seen: list = []
    engine.bus.subscribe(seen.append)
    outcome = engine.run()
    failures = [e.error for e in seen if isinstance(e, ev.RunFailed)]
    assert not outcome.failed and outcome.epochs_done == 2, failures
    losses = [e.metrics["loss"] for e in seen if isinstance(e, ev.StepMetrics)]
    assert losses and all(math.isfinite(v) for v in losses)
    return [e.metrics for e in seen if isinstance(e, ev.EpochMetrics)][-1]
