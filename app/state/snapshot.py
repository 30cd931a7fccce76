"""A run snapshot: everything a report says about its run at one moment, as plain arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.state.metrics import MetricSeries
from app.state.samples import SampleSet
from core.run_files import RunState
from core.valuation import ValuationResult


@dataclass(frozen=True)
class ResamplingStep:
    """One epoch's re-sampling plan: copies per sample, and which of them the user asked for."""

    epoch: int
    sample_index: np.ndarray
    copies: np.ndarray
    user_requested: np.ndarray


@dataclass
class RunSnapshot:
    """Everything a report says about its run at one moment, ready for the session to show.

    ``dataset`` is None for a refresh of a report already shown; ``valuations`` then holds only the
    epochs that were not shown yet."""

    path: Path
    state: RunState
    device: str
    config_toml: str
    total_epochs: int
    dataset: SampleSet | None
    step_metrics: dict[str, MetricSeries]
    epoch_metrics: dict[str, MetricSeries]
    epoch_last_step: dict[int, int]
    start_wall: float | None
    resampling: list[ResamplingStep]
    valuations: dict[str, dict[int, ValuationResult]] = field(default_factory=dict)
