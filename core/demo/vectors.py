"""The MCR paper's synthetic two-modality vectors: the label lives in both modalities or in only one.

For modality m, a latent ``z_m = noise_m + e_y`` where m carries the label and
``z_m = noise_m + s·e_y`` where it does not (``s`` = ``support``: 0 in the MCR paper's data); ``x_m = z_m @ A_m`` lifts it to DIM features. The class embeddings ``e_y`` (the
corners of a regular simplex, all classes equally far apart) and the lifts ``A_m`` are fixed by the seed.
"""

from __future__ import annotations

import numpy as np

from core.demo.plan import quota_draw

NUM_CLASSES = 5
LATENT_DIM = 10
DIM = 100
CLASS_DISTANCE = 2.6
PER_SAMPLE_DISTANCE = 4.0
"""Class distance of the per-sample preset: the informative modality of a sample is nearly always right."""
PER_SAMPLE_SUPPORT = 0.3
"""How much of the class embedding the other modality of a per-sample sample holds: weak evidence that
agrees with the label, as a real sample's less informative modality does (alone about 0.4-0.5 accurate,
chance 0.2), not noise that a sample-level method could only teach to memorise."""
CARRIERS = ("both", "x1", "x2")


def check_unique_ratio(unique_ratio: float) -> None:
    """Raise ``ValueError`` unless ``unique_ratio`` is a finite number >= 0."""
    if (
        isinstance(unique_ratio, bool)
        or not isinstance(unique_ratio, int | float)
        or not (np.isfinite(unique_ratio) and unique_ratio >= 0)
    ):
        raise ValueError(f"unique_ratio must be a finite number >= 0, got {unique_ratio!r}")


def plan_carriers(n: int, unique_ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Which modality carries the label for each of ``n`` samples: 'both', 'x1' or 'x2'.

    ``unique_ratio`` is unique-to-shared: a share ``r / (1 + r)`` of samples carries the label in one
    modality only, split evenly between x1 and x2; the counts are exact up to rounding.
    """
    check_unique_ratio(unique_ratio)
    return quota_draw(n, CARRIERS, (1.0, unique_ratio / 2, unique_ratio / 2), rng)


def vector_features(
    labels: np.ndarray,
    carriers: np.ndarray,
    seed: int,
    class_distance: float = CLASS_DISTANCE,
    support: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Features ``float32 [N, DIM]`` of modalities x1 and x2 for integer ``labels`` and ``carriers``
    ('both', 'x1' or 'x2': where the label is), class embeddings ``class_distance`` apart; a modality
    that does not carry a sample's label holds ``support`` times its class embedding."""
    fixed = np.random.default_rng([seed, 1])
    embeddings = simplex_embeddings(fixed, NUM_CLASSES, LATENT_DIM, class_distance)
    lifts = [fixed.normal(0.0, 1.0 / np.sqrt(LATENT_DIM), (LATENT_DIM, DIM)) for _ in range(2)]
    noise_rng = np.random.default_rng([seed, 2])
    features = []
    for name, lift in zip(("x1", "x2"), lifts, strict=True):
        latent = noise_rng.normal(0.0, 1.0, (len(labels), LATENT_DIM))
        carries = (carriers == name) | (carriers == "both")
        latent[carries] += embeddings[labels[carries]]
        if support:
            latent[~carries] += support * embeddings[labels[~carries]]
        features.append((latent @ lift).astype(np.float32))
    return features[0], features[1]


def simplex_embeddings(rng: np.random.Generator, classes: int, dim: int, distance: float) -> np.ndarray:
    """``classes`` points, pairwise ``distance`` apart, centred, randomly rotated into ``dim`` dimensions."""
    centred = np.eye(classes) - 1.0 / classes
    rotation, _ = np.linalg.qr(rng.normal(size=(dim, classes)))
    return (distance / np.sqrt(2.0)) * centred @ rotation.T


def plan_informative(n: int, rng: np.random.Generator) -> np.ndarray:
    """Which single modality carries the label for each of ``n`` samples: 'x1' or 'x2', half each."""
    return quota_draw(n, ("x1", "x2"), (1.0, 1.0), rng)
