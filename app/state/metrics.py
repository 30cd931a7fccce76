"""Metric series: growing x/y arrays of one training metric, per step or per epoch."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

STEP_INDEX = ("global_step", "step", "epoch", "wall_time")
"""Columns of a report's per-step metric table that index the rows rather than being metrics."""
EPOCH_INDEX = ("epoch", "wall_time")
"""Columns of a report's per-epoch metric table that index the rows."""


@dataclass
class MetricSeries:
    """Growing x/y arrays of one metric (preallocated, doubled when full)."""

    steps: np.ndarray = field(default_factory=lambda: np.empty(256))
    wall: np.ndarray = field(default_factory=lambda: np.empty(256))
    values: np.ndarray = field(default_factory=lambda: np.empty(256))
    count: int = 0

    def append(self, step: float, wall: float, value: float) -> None:
        if self.count == len(self.values):
            self.steps, self.wall, self.values = (
                np.resize(a, 2 * len(a)) for a in (self.steps, self.wall, self.values)
            )
        self.steps[self.count], self.wall[self.count], self.values[self.count] = step, wall, value
        self.count += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = self.count
        return self.steps[:n], self.wall[:n], self.values[:n]

    @classmethod
    def of(cls, steps: ArrayLike, wall: ArrayLike, values: ArrayLike) -> MetricSeries:
        """A series holding the given points (rows whose value is NaN are left out)."""
        keep = np.isfinite(np.asarray(values, np.float64))
        n = int(keep.sum())
        size = max(256, 1 << max(n - 1, 0).bit_length())
        series = cls(np.empty(size), np.empty(size), np.empty(size), n)
        series.steps[:n] = np.asarray(steps, np.float64)[keep]
        series.wall[:n] = np.asarray(wall, np.float64)[keep]
        series.values[:n] = np.asarray(values, np.float64)[keep]
        return series
