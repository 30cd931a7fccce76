"""Sanity checks of the planted signal: a 'none' modality carries no class information, a 'clear' one plenty.

A least-squares linear classifier is fitted on one half of the samples and scored on the other half.
"""

from __future__ import annotations

import numpy as np
import pytest

from core.demo.audio import synth_sound
from core.demo.av_classes import AV_CLASSES
from core.demo.plan import balanced_labels
from core.demo.vectors import NUM_CLASSES, plan_carriers, vector_features
from core.demo.video import render_clip


def held_out_accuracy(features: np.ndarray, labels: np.ndarray, num_classes: int) -> float:
    """Fit one-hot targets by ridge-regularised least squares on the first half, score the second half."""
    x = (features - features.mean(0)) / (features.std(0) + 1e-6)
    x = np.hstack([x, np.ones((len(x), 1))])
    half = len(x) // 2
    targets = np.eye(num_classes)[labels[:half]]
    gram = x[:half].T @ x[:half] + 1.0 * np.eye(x.shape[1])
    weights = np.linalg.solve(gram, x[:half].T @ targets)
    return float(((x[half:] @ weights).argmax(1) == labels[half:]).mean())


def test_vectors_modality_without_the_label_is_at_chance_and_with_it_is_not():
    rng = np.random.default_rng(0)
    n = 6000
    labels = balanced_labels(n, NUM_CLASSES, rng)
    carriers = plan_carriers(n, 2.0, rng)
    x1, x2 = vector_features(labels, carriers, seed=4)
    only_x2 = carriers == "x2"
    only_x1 = carriers == "x1"
    assert held_out_accuracy(x1[only_x2], labels[only_x2], NUM_CLASSES) < 0.26  # chance is 0.2
    assert held_out_accuracy(x2[only_x1], labels[only_x1], NUM_CLASSES) < 0.26
    carried = held_out_accuracy(x1[only_x1], labels[only_x1], NUM_CLASSES)
    both = held_out_accuracy(np.hstack([x1, x2])[carriers == "both"], labels[carriers == "both"], NUM_CLASSES)
    assert 0.6 < carried < 0.9  # solvable, not trivial
    assert carried < both < 0.97


def audio_features(info: str, labels: np.ndarray) -> np.ndarray:
    rows = []
    for i, label in enumerate(labels):
        wave = synth_sound(AV_CLASSES[label], info, np.random.default_rng([11, i])).astype(np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(wave, 254)[::250] * np.hanning(254)
        log_spec = np.log(np.abs(np.fft.rfft(frames, axis=1)) + 1e-6)
        rows.append(np.concatenate([log_spec.mean(0), log_spec.std(0)]))
    return np.array(rows)


def video_features(info: str, labels: np.ndarray) -> np.ndarray:
    rows = []
    for i, label in enumerate(labels):
        clip = render_clip(AV_CLASSES[label], info, np.random.default_rng([12, i])).astype(np.float32)
        small = clip[::6].reshape(4, 8, 8, 8, 8, 3).mean(axis=(2, 4))  # 4 frames, 8x8 blocks, RGB
        rows.append(small.ravel())
    return np.array(rows)


@pytest.mark.parametrize("features", [audio_features, video_features])
def test_audio_visual_none_is_at_chance_while_clear_and_noisy_are_not(features):
    labels = balanced_labels(160, len(AV_CLASSES), np.random.default_rng(1))
    chance = 1 / len(AV_CLASSES)
    assert held_out_accuracy(features("none", labels), labels, len(AV_CLASSES)) < chance + 0.1
    assert held_out_accuracy(features("clear", labels), labels, len(AV_CLASSES)) > 0.9
    assert held_out_accuracy(features("noisy", labels), labels, len(AV_CLASSES)) > chance + 0.15
