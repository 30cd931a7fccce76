"""A short run of the real engine with one strategy on tiny synthetic vector data."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from core import events as ev
from core.config import RunConfig
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine
from tests.synthetic import vector_data


def train_briefly(
    tmp_path: Path,
    name: str,
    params: dict[str, Any] | None = None,
    epochs: int = 2,
    modalities: tuple[str, ...] = ("a", "b"),
    resume: bool = False,
) -> dict[str, Any]:
    """Train to ``epochs`` epochs (with ``resume``, continuing the run already in ``tmp_path``); assert the
    run finished with finite losses; return its last checkpoint."""
    config = RunConfig()
    config.optim.epochs = epochs
    config.optim.batch_size = 16
    config.optim.lr = 1e-2
    config.model.feature_dim = 8
    config.runtime.device = "cpu"
    config.strategy.name = name
    config.strategy.params = dict(params or {})
    last = tmp_path / "run" / "checkpoints" / "last.pt"
    data = vector_data(n=48, modalities=modalities)
    engine = Engine(config, tmp_path / "run", data=data, resume_from=last if resume else None)
    seen: list = []
    engine.bus.subscribe(seen.append)
    outcome = engine.run()
    failures = [e.error for e in seen if isinstance(e, ev.RunFailed)]
    assert not outcome.failed and outcome.epochs_done == epochs, failures
    losses = [e.metrics["loss"] for e in seen if isinstance(e, ev.StepMetrics)]
    assert losses and all(math.isfinite(v) for v in losses)
    return load_checkpoint(last)
