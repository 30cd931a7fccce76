"""The statistics of the experiment table and of run comparisons, in numpy alone.

- :func:`t_interval`: mean ± Student-t half-width over seeds (t quantile from the regularised
  incomplete beta function, by bisection);
- :func:`paired_bootstrap`: a difference B − A of a statistic on the same samples, with a two-level
  percentile bootstrap interval: seeds are drawn with replacement, and within each seed the samples
  (the same draw for A and B, so the pairing is kept);
- statistics of replicate index arrays ``idx [replicates, n]``: accuracy, macro-F1 (scikit-learn's
  ``average="macro"`` over the classes occurring among labels or predictions), φ gap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

CONFIDENCE = 0.95
REPLICATE_BLOCK = 256
"""Replicates computed at once (bounds the memory of one block to REPLICATE_BLOCK × samples values)."""


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1.0) < 1e-15:
            break
    return h


def regularized_beta(a: float, b: float, x: float) -> float:
    """I_x(a, b) for a, b > 0 and 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    if x < (a + 1.0) / (a + b + 2.0):
        return math.exp(log_front) * _beta_fraction(a, b, x) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    tail = 0.5 * regularized_beta(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t > 0 else tail


def t_quantile(p: float, df: float) -> float:
    """The t with P(T <= t) = p, for 0.5 <= p < 1."""
    if not 0.5 <= p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0.5 <= p < 1 and df > 0, got p={p}, df={df}")
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2.0


@dataclass(frozen=True)
class Interval:
    """An estimate with its confidence interval (NaN bounds where there is too little data)."""

    value: float
    low: float
    high: float

    @property
    def significant(self) -> bool:
        """True when the interval excludes 0."""
        return self.low > 0 or self.high < 0


def t_interval(values: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Mean over seeds ± t_{(1+c)/2, n−1} · s / √n (NaN values left out; bounds NaN below two values)."""
    data = np.asarray(values, dtype=np.float64)
    data = data[~np.isnan(data)]
    if not len(data):
        return Interval(math.nan, math.nan, math.nan)
    mean = float(data.mean())
    if len(data) < 2:
        return Interval(mean, math.nan, math.nan)
    half = t_quantile((1 + confidence) / 2, len(data) - 1) * float(data.std(ddof=1)) / math.sqrt(len(data))
    return Interval(mean, mean - half, mean + half)


Statistic = Callable[[dict[str, np.ndarray], np.ndarray], np.ndarray]
"""(per-sample arrays of one run, index array [replicates, n]) -> the statistic per replicate."""


def accuracy(arrays: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    return arrays["correct"][idx].mean(axis=1)


def macro_f1(arrays: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    labels, predictions = arrays["labels"][idx], arrays["prediction"][idx]
    f1_sum = np.zeros(len(idx))
    occurring = np.zeros(len(idx))
    for c in np.union1d(arrays["labels"], arrays["prediction"]).tolist():
        actual, predicted = (labels == c).sum(axis=1), (predictions == c).sum(axis=1)
        hits = ((labels == c) & (predictions == c)).sum(axis=1)
        present = (actual + predicted) > 0
        f1_sum += np.where(present, 2 * hits / np.maximum(actual + predicted, 1), 0.0)
        occurring += present
    return f1_sum / np.maximum(occurring, 1)


def phi_gap(arrays: dict[str, np.ndarray], idx: np.ndarray) -> np.ndarray:
    means = arrays["phi"][idx].mean(axis=1)
    return means.max(axis=1) - means.min(axis=1)


def paired_bootstrap(
    pairs: Sequence[tuple[dict[str, np.ndarray], dict[str, np.ndarray]]],
    statistic: Statistic,
    replicates: int = 2000,
    confidence: float = CONFIDENCE,
    seed: int = 0,
) -> Interval:
    """Mean over seeds of statistic(B) − statistic(A), each pair (A, B) of one seed holding the same
    samples in the same order, with a percentile interval of ``replicates`` two-level bootstrap draws."""
    if not pairs:
        return Interval(math.nan, math.nan, math.nan)
    rng = np.random.default_rng(seed)
    point = float(np.mean([_difference(statistic, a, b, np.arange(_size(a))[None])[0] for a, b in pairs]))
    per_seed = np.empty((len(pairs), replicates))
    for s, (a, b) in enumerate(pairs):
        n = _size(a)
        for start in range(0, replicates, REPLICATE_BLOCK):
            count = min(REPLICATE_BLOCK, replicates - start)
            per_seed[s, start : start + count] = _difference(statistic, a, b, rng.integers(0, n, (count, n)))
    drawn = rng.integers(0, len(pairs), (replicates, len(pairs)))
    draws = per_seed[drawn, np.arange(replicates)[:, None]].mean(axis=1)
    alpha = (1 - confidence) / 2
    low, high = np.quantile(draws, [alpha, 1 - alpha])
    return Interval(point, float(low), float(high))


def _size(arrays: dict[str, np.ndarray]) -> int:
    return len(next(iter(arrays.values())))


def _difference(
    statistic: Statistic, a: dict[str, np.ndarray], b: dict[str, np.ndarray], idx: np.ndarray
) -> np.ndarray:
    return statistic(b, idx) - statistic(a, idx)
