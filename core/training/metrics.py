"""Classification and cost metrics of a run: macro-F1 from class counts, parameter count, forward FLOPs.

Macro-F1 is the mean over classes of F1_c = 2·TP_c / (predicted_c + actual_c), taken over the classes
that occur among the labels or the predictions (scikit-learn's ``f1_score(average="macro")``; a class
that occurs in neither is left out, so ``zero_division`` never arises). Counts are summed over batches
first, so the figure is the split's, not a mean of per-batch F1s. See docs/methods.md, section Run metrics.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

COUNT_ROWS = 3
"""Rows of a class-count array: true positives, predictions, labels."""


Classes = torch.Tensor | np.ndarray


def _indices(values: Classes) -> np.ndarray:
    return np.asarray(values.cpu() if isinstance(values, torch.Tensor) else values, dtype=np.int64).ravel()


def class_counts(labels: Classes, predictions: Classes, num_classes: int) -> np.ndarray:
    """Per class c: [TP_c, #predicted c, #labelled c] as a float64 array [3, num_classes]."""
    labels, predictions = _indices(labels), _indices(predictions)
    if labels.shape != predictions.shape:
        raise ValueError(
            f"labels and predictions must have the same length, got {len(labels)} and {len(predictions)}"
        )
    for name, values in (("labels", labels), ("predictions", predictions)):
        if len(values) and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(
                f"{name} must be class indices in [0, {num_classes}), got {values.min()}..{values.max()}"
            )
    hits = labels[labels == predictions]
    return np.stack(
        [
            np.bincount(hits, minlength=num_classes),
            np.bincount(predictions, minlength=num_classes),
            np.bincount(labels, minlength=num_classes),
        ]
    ).astype(np.float64)


def macro_f1_from_counts(counts: np.ndarray) -> float:
    """Macro-F1 of summed :func:`class_counts`; 0.0 when there is no sample at all."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != COUNT_ROWS:
        raise ValueError(f"class counts must have shape [3, classes], got {list(counts.shape)}")
    true_positive, predicted, actual = counts
    occurring = (predicted + actual) > 0
    if not occurring.any():
        return 0.0
    return float(np.mean(2 * true_positive[occurring] / (predicted[occurring] + actual[occurring])))


def macro_f1(labels: Classes, predictions: Classes, num_classes: int) -> float:
    """Macro-F1 of one set of predictions."""
    return macro_f1_from_counts(class_counts(labels, predictions, num_classes))


def head_counts(
    logits: torch.Tensor, unimodal_logits: torch.Tensor, labels: torch.Tensor, modalities: list[str]
) -> dict[str, np.ndarray]:
    """:func:`class_counts` of the fused head (key ``f1``) and of each unimodal head (``f1/<modality>``)
    from fused logits [B, C] and unimodal logits [B, M, C]."""
    num_classes = int(logits.shape[-1])
    counts = {"f1": class_counts(labels, logits.argmax(-1), num_classes)}
    for j, modality in enumerate(modalities):
        counts[f"f1/{modality}"] = class_counts(labels, unimodal_logits[:, j].argmax(-1), num_classes)
    return counts


def add_counts(total: dict[str, np.ndarray], counts: Mapping[str, np.ndarray]) -> None:
    """Add ``counts`` into ``total`` in place, key by key."""
    for key, value in counts.items():
        total[key] = total[key] + value if key in total else np.array(value, dtype=np.float64)


def f1_metrics(counts: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Macro-F1 of every head's summed counts, under the same keys."""
    return {key: macro_f1_from_counts(value) for key, value in counts.items()}


def parameter_count(*modules: torch.nn.Module) -> int:
    """Number of parameters (trainable or frozen) of the modules together, each counted once."""
    seen = {id(p): p for module in modules for p in module.parameters()}
    return int(sum(p.numel() for p in seen.values()))


@torch.no_grad()
def flops_per_sample(model: torch.nn.Module, inputs: Mapping[str, torch.Tensor]) -> float:
    """Forward FLOPs of ``model`` on one batch of ``inputs`` (counted by torch's ``FlopCounterMode``: a
    multiply-add is 2 FLOPs, element-wise ops are not counted), divided by the batch size. Runs in eval
    mode, so batch-norm statistics and random state are left as they were."""
    sizes = {int(x.shape[0]) for x in inputs.values()}
    if len(sizes) != 1 or 0 in sizes:
        raise ValueError(
            f"inputs must be one non-empty batch with a common first dimension, got sizes {sorted(sizes)}"
        )
    was_training = model.training
    model.eval()
    try:
        counter = FlopCounterMode(display=False)
        with counter:
            model(dict(inputs))
    finally:
        model.train(was_training)
    return counter.get_total_flops() / sizes.pop()
