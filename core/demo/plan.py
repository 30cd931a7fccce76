"""Per-sample draws shared by every preset: balanced labels, stratified splits, exact-quota categories."""

from __future__ import annotations

import numpy as np

SPLIT_SHARES = {"train": 0.70, "val": 0.15, "test": 0.15}
MCR_SPLIT_SHARES = {"train": 10 / 14, "val": 2 / 14, "test": 2 / 14}
"""The MCR paper's synthetic splits: 10,000 / 2,000 / 2,000 of 14,000 samples."""


def balanced_labels(n: int, num_classes: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` class indices in random order, every class ``n // num_classes`` or one more times."""
    return rng.permutation(np.arange(n) % num_classes)


def quota_draw(
    n: int, values: tuple[str, ...], shares: tuple[float, ...], rng: np.random.Generator
) -> np.ndarray:
    """``n`` values in random order, each appearing ``shares[i] * n`` times (largest remainder rounding)."""
    counts = _quota_counts(n, shares)
    return rng.permutation(np.repeat(np.array(values), counts))


def stratified_splits(
    labels: np.ndarray, rng: np.random.Generator, shares: dict[str, float] = SPLIT_SHARES
) -> np.ndarray:
    """'train' / 'val' / 'test' per sample: exact ``shares`` counts overall (70/15/15 by default), each
    class spread evenly.

    Samples are ordered so that every class's members are evenly interleaved through the order (each
    class gets a random phase), then the order is cut at the split counts.
    """
    n = len(labels)
    key = np.empty(n)
    for cls in np.unique(labels):
        members = np.flatnonzero(labels == cls)
        ranks = rng.permutation(len(members))
        key[members] = (ranks + rng.uniform()) / len(members)
    order = np.lexsort((labels, key))
    splits = np.empty(n, dtype=object)
    counts = _quota_counts(n, tuple(shares.values()))
    splits[order] = np.repeat(np.array(list(shares)), counts)
    return splits.astype(str)


def _quota_counts(n: int, shares: tuple[float, ...]) -> np.ndarray:
    exact = np.asarray(shares, dtype=float) / sum(shares) * n
    counts = np.floor(exact).astype(int)
    by_remainder = np.argsort(-(exact - counts), kind="stable")
    counts[by_remainder[: n - counts.sum()]] += 1
    return counts
