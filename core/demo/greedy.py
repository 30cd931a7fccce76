"""The `greedy` demo: one modality is learned fast, so joint training leaves the other under-trained.

The ten classes form five pairs: a class is a *group* (which pair) and a *bit* (which member of it).

- ``fast`` carries the group cleanly (far-apart group centres, little noise) and the bit only weakly; a
  model learns it within a few hundred steps and reaches about 0.7 accuracy from it alone.
- ``slow`` carries both the group and the bit, moderately well, inside a 100-d vector dominated by
  high-variance nuisance directions: a model has to learn which directions to read, which takes many
  more steps, but alone it reaches about 0.75.

In joint training the fast modality explains the group before the slow one has learned it, so the slow
encoder only learns the bit, the part the fast modality lacks: a probe on its features recovers the
group poorly, while the fused model still gains the bit from it (fused accuracy above ``fast`` alone).
"""

from __future__ import annotations

import numpy as np

from core.demo.vectors import simplex_embeddings

NUM_CLASSES = 10
GROUPS = NUM_CLASSES // 2
DIM = 100
FAST_LATENT = 8
FAST_GROUP_DISTANCE = 6.0
FAST_BIT_SHIFT = 0.5
SLOW_SIGNAL = 8
SLOW_GROUP_DISTANCE = 3.4
SLOW_BIT_SHIFT = 1.0
NUISANCE_SCALE = 2.0
MODALITIES = ("fast", "slow")


def greedy_features(labels: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Features ``float32 [N, DIM]`` of modalities ``fast`` and ``slow`` for integer ``labels`` in [0, 10)."""
    fixed = np.random.default_rng([seed, 11])
    noise = np.random.default_rng([seed, 12])
    groups, bits = labels // 2, labels % 2
    signs = 2.0 * bits - 1.0
    n = len(labels)

    fast = noise.normal(0.0, 1.0, (n, FAST_LATENT))
    fast[:, :GROUPS] += simplex_embeddings(fixed, GROUPS, GROUPS, FAST_GROUP_DISTANCE)[groups]
    fast[:, GROUPS] += FAST_BIT_SHIFT * signs

    slow = noise.normal(0.0, 1.0, (n, DIM))
    slow[:, :GROUPS] += simplex_embeddings(fixed, GROUPS, GROUPS, SLOW_GROUP_DISTANCE)[groups]
    slow[:, GROUPS] += SLOW_BIT_SHIFT * signs
    slow[:, SLOW_SIGNAL:] *= NUISANCE_SCALE

    fast_lift = _rotation(fixed, FAST_LATENT, DIM)
    slow_lift = _rotation(fixed, DIM, DIM)
    return _unit_variance(fast @ fast_lift), _unit_variance(slow @ slow_lift)


def _rotation(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A fixed ``rows x cols`` matrix with orthonormal rows (distances in the latent space are kept)."""
    q, _ = np.linalg.qr(rng.normal(size=(cols, rows)))
    return q.T


def _unit_variance(x: np.ndarray) -> np.ndarray:
    """``x`` scaled by one number so that its features have unit variance on average, as float32."""
    return (x / np.sqrt((x**2).mean())).astype(np.float32)
