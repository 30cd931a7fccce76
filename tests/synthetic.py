"""Tiny in-memory datasets for tests that do not need media files."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.data.samples import Samples
from core.data.tensors import PreparedData


def vector_data(
    n: int = 60,
    modalities: tuple[str, ...] = ("a", "b"),
    dim: int = 6,
    classes: int = 3,
    seed: int = 0,
    informative: tuple[str, ...] | None = None,
) -> PreparedData:
    """Vector modalities; the ``informative`` ones carry the label (all by default), the rest are noise."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, n)
    informative = modalities if informative is None else informative
    centres = rng.normal(size=(classes, dim)) * 2
    arrays = {}
    for m in modalities:
        noise = rng.normal(size=(n, dim)).astype(np.float32)
        arrays[m] = (noise + (centres[labels] if m in informative else 0)).astype(np.float32)
    splits = np.array(["train"] * (n * 2 // 3) + ["val"] * (n - n * 2 // 3), dtype=object)
    return PreparedData(
        root=Path("."),
        samples=Samples(
            ids=np.array([f"s{i}" for i in range(n)], dtype=object),
            rows=np.arange(2, n + 2),
            labels=labels.astype(np.int64),
            class_names=[f"c{k}" for k in range(classes)],
            splits=splits,
            modalities=list(modalities),
            modality_kinds={m: "vector" for m in modalities},
            media={m: np.array([f"{m}/{i}.npy" for i in range(n)], dtype=object) for m in modalities},
            metadata={},
        ),
        arrays=arrays,
    )
