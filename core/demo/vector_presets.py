"""The samples of each vector preset: labels, splits, feature arrays per modality, metadata columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.demo import greedy, vectors
from core.demo.plan import MCR_SPLIT_SHARES, SPLIT_SHARES, balanced_labels, stratified_splits
from core.demo.presets import GREEDY_PRESET, MCR_PRESET, PER_SAMPLE_PRESET


@dataclass(frozen=True)
class VectorSamples:
    """``n`` samples: class indices, split names, ``float32 [n, D]`` per modality, metadata per column."""

    labels: np.ndarray
    splits: np.ndarray
    features: dict[str, np.ndarray]
    metadata: dict[str, np.ndarray]


def vector_samples(preset: str, n: int, seed: int, unique_ratio: float) -> VectorSamples:
    """The samples of vector preset ``preset`` (``unique_ratio``: vectors and mcr-synthetic only)."""
    rng = np.random.default_rng([seed, 0])
    if preset == GREEDY_PRESET:
        labels = balanced_labels(n, greedy.NUM_CLASSES, rng)
        splits = stratified_splits(labels, rng)
        fast, slow = greedy.greedy_features(labels, seed)
        return VectorSamples(labels, splits, {"fast": fast, "slow": slow}, {})
    labels = balanced_labels(n, vectors.NUM_CLASSES, rng)
    splits = stratified_splits(labels, rng, MCR_SPLIT_SHARES if preset == MCR_PRESET else SPLIT_SHARES)
    if preset == PER_SAMPLE_PRESET:
        informative = vectors.plan_informative(n, rng)
        x1, x2 = vectors.vector_features(
            labels, informative, seed, vectors.PER_SAMPLE_DISTANCE, vectors.PER_SAMPLE_SUPPORT
        )
        return VectorSamples(labels, splits, {"x1": x1, "x2": x2}, {"informative": informative})
    carriers = vectors.plan_carriers(n, unique_ratio, rng)
    x1, x2 = vectors.vector_features(labels, carriers, seed)
    return VectorSamples(labels, splits, {"x1": x1, "x2": x2}, {"carrier": carriers})
