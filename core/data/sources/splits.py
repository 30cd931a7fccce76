"""Seeded splits for datasets distributed without split lists: by group (no speaker leak) or stratified."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_ratios(val_ratio: float, test_ratio: float) -> None:
    """Both ratios in [0, 1) and together below 1, else ``ValueError``."""
    if not (0 <= val_ratio < 1 and 0 <= test_ratio < 1 and val_ratio + test_ratio < 1):
        raise ValueError(
            f"--val-ratio {val_ratio} and --test-ratio {test_ratio}: "
            "expected fractions >= 0 summing to below 1"
        )


def group_split(groups: Sequence[str], val_ratio: float, test_ratio: float, seed: int) -> list[str]:
    """A split per item such that all items of one group share it (e.g. every clip of one actor).

    The distinct groups are shuffled with ``seed``; the first ``round(test_ratio · groups)`` go to test,
    the next ``round(val_ratio · groups)`` to val, the rest to train (at least one group stays in train).
    """
    check_ratios(val_ratio, test_ratio)
    names = sorted(set(groups))
    order = np.random.default_rng(seed).permutation(len(names))
    n_test, n_val = _counts(len(names), val_ratio, test_ratio)
    split_of = {}
    for rank, index in enumerate(order):
        split_of[names[index]] = "test" if rank < n_test else "val" if rank < n_test + n_val else "train"
    return [split_of[g] for g in groups]


def stratified_split(labels: Sequence[str], val_ratio: float, test_ratio: float, seed: int) -> list[str]:
    """A split per item with each class divided in the given ratios, items shuffled with ``seed``.

    Each class gives its whole share (``floor``) to test and val; the rest of the overall count,
    ``round(ratio · items)``, comes from the classes with the largest remainders, so a dataset of small
    classes still gets its val and test items. At least one item of every class stays in train."""
    check_ratios(val_ratio, test_ratio)
    rng = np.random.default_rng(seed)
    names = sorted(set(labels))
    members = {name: [i for i, value in enumerate(labels) if value == name] for name in names}
    sizes = np.array([len(members[name]) for name in names])
    room = sizes - 1  # one item of each class stays in train
    n_test = _class_shares(sizes, test_ratio, room, rng)
    n_val = _class_shares(sizes, val_ratio, room - n_test, rng)
    splits = ["train"] * len(labels)
    for name, tests, vals in zip(names, n_test, n_val):
        shuffled = [members[name][i] for i in rng.permutation(len(members[name]))]
        for rank, index in enumerate(shuffled[: tests + vals]):
            splits[index] = "test" if rank < tests else "val"
    return splits


def _class_shares(sizes: np.ndarray, ratio: float, room: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per-class counts near ``ratio · size`` summing to ``round(ratio · total)`` (largest remainders
    first, ties in seeded order), none above its ``room``."""
    exact = ratio * sizes
    counts = np.minimum(np.floor(exact).astype(int), room)
    missing = round(ratio * int(sizes.sum())) - int(counts.sum())
    order = np.lexsort((rng.permutation(len(sizes)), -(exact - counts)))
    for index in order:
        if missing <= 0:
            break
        if counts[index] < room[index]:
            counts[index] += 1
            missing -= 1
    return counts


def _counts(total: int, val_ratio: float, test_ratio: float) -> tuple[int, int]:
    n_test = round(test_ratio * total)
    n_val = round(val_ratio * total)
    while n_test + n_val >= total and n_test + n_val > 0:  # keep one for training
        if n_val >= n_test and n_val > 0:
            n_val -= 1
        else:
            n_test -= 1
    return n_test, n_val


def carve_val(samples: Sequence, val_ratio: float, seed: int) -> None:
    """Move a seeded, stratified ``val_ratio`` of the training samples (``.split == "train"``) to val."""
    if not val_ratio:
        return
    train = [s for s in samples if s.split == "train"]
    for sample, split in zip(train, stratified_split([s.label for s in train], val_ratio, 0.0, seed)):
        sample.split = split
