"""The training set of one epoch: every training sample once, plus per-modality copies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.strategies.base import PlannedCopies
from core.training.requests import ResamplingRequest


@dataclass(frozen=True)
class EpochPlan:
    """Rows to train on (dataset indices), their kept-modality masks, and the copies that were added."""

    index: np.ndarray
    keep: np.ndarray
    copy_sample: np.ndarray
    copy_modality: np.ndarray
    copy_count: np.ndarray
    copy_user: np.ndarray

    def shuffled(self, rng: np.random.Generator) -> EpochPlan:
        order = rng.permutation(len(self.index))
        return EpochPlan(
            self.index[order],
            self.keep[order],
            self.copy_sample,
            self.copy_modality,
            self.copy_count,
            self.copy_user,
        )


def build_plan(
    train_index: np.ndarray,
    num_modalities: int,
    automatic: PlannedCopies,
    requests: list[ResamplingRequest],
    modalities: list[str],
) -> EpochPlan:
    """Originals keep every modality; each copy keeps only its one modality (the others are absent).

    Requested samples outside ``train_index`` are left out: copying a validation or test sample into
    training would leak it."""
    user_samples = [r.sample_index[np.isin(r.sample_index, train_index)] for r in requests]
    user_modality = [np.full(len(s), modalities.index(r.modality)) for r, s in zip(requests, user_samples, strict=True)]
    user_copies = [np.full(len(s), r.copies) for r, s in zip(requests, user_samples, strict=True)]
    copy_sample = np.concatenate([automatic.sample_index, *user_samples]).astype(np.int64)
    copy_modality = np.concatenate([automatic.modality, *user_modality]).astype(np.int64)
    copy_count = np.concatenate([automatic.copies, *user_copies]).astype(np.int64)
    copy_user = np.concatenate(
        [np.zeros(len(automatic.copies), bool), *[np.ones(len(s), bool) for s in user_samples]]
    )
    positive = copy_count > 0
    copy_sample, copy_modality, copy_count, copy_user = (
        a[positive] for a in (copy_sample, copy_modality, copy_count, copy_user)
    )

    extra_index = np.repeat(copy_sample, copy_count)
    extra_keep = np.zeros((len(extra_index), num_modalities), np.float32)
    extra_keep[np.arange(len(extra_index)), np.repeat(copy_modality, copy_count)] = 1.0
    index = np.concatenate([np.asarray(train_index, np.int64), extra_index])
    keep = np.concatenate([np.ones((len(train_index), num_modalities), np.float32), extra_keep])
    return EpochPlan(index, keep, copy_sample, copy_modality, copy_count, copy_user)
