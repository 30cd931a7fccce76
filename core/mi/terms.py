"""MI-term curves for any run: unique information by latent permutation, its LLR form, permutation importance,
the shared-information bound and the cross-entropy proxies (docs/methods.md, section mcr). No gradients.

Per step: :func:`mi_terms` on the training batch. Per epoch: :class:`MIAccumulator` over a split, permuting
within each batch as the paper does; additive terms are averaged over rows, permutation importance is the
ratio of the split's accuracies.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from core.mi.estimators import (
    jensen_shannon,
    permutation_indices,
    permute_rows,
    supervised_nt_xent,
    true_class_log_prob,
)
from core.models.multimodal import ModelOutput, MultimodalModel

DEFAULT_TEMPERATURE = 0.5


def label_entropy(labels: np.ndarray, num_classes: int) -> float:
    """Entropy H(Y) in nats of the empirical label distribution."""
    labels = np.asarray(labels)
    if labels.size == 0:
        raise ValueError("label_entropy: no labels given")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= num_classes:
        raise ValueError(
            f"label_entropy: labels must be integers in [0, {num_classes}), got range "
            f"[{labels.min()}, {labels.max()}] of dtype {labels.dtype}"
        )
    p = np.bincount(labels, minlength=num_classes) / labels.size
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


@torch.no_grad()
def _batch_sums(
    model: MultimodalModel,
    output: ModelOutput,
    labels: torch.Tensor,
    num_permutations: int,
    temperature: float,
    generator: torch.Generator | None,
) -> dict[str, torch.Tensor]:
    """Row sums of every per-sample quantity of one batch (so batches add up)."""
    features = output.features.float()
    unimodal = output.unimodal_logits.float()
    batch = features.shape[0]
    with torch.autocast(features.device.type, enabled=False):
        clean = model.fuse(features)
        clean_log_p = true_class_log_prob(clean, labels)
        permutations = permutation_indices(batch, num_permutations, features.device, generator)
        con = supervised_nt_xent(features, labels, temperature)
        sums = {
            "clean_correct": (clean.argmax(-1) == labels).sum().float(),
            "ce/joint": -clean_log_p.sum(),
            "L_con": con * batch,
            "shared_bound": (math.log(batch) - con) * batch,
        }
        for j, m in enumerate(model.modalities):
            permuted = features.expand(num_permutations, *features.shape).clone()
            permuted[:, :, j] = permute_rows(features[:, j], permutations)
            logits = model.fuse(permuted.flatten(0, 1)).view(num_permutations, batch, -1)
            sums[f"U/{m}"] = jensen_shannon(clean, logits).mean(0).sum()
            sums[f"LLR/{m}"] = (clean_log_p - true_class_log_prob(logits, labels)).mean(0).sum()
            sums[f"perm_correct/{m}"] = (logits.argmax(-1) == labels).float().mean(0).sum()
            sums[f"ce/{m}"] = F.cross_entropy(unimodal[:, j], labels, reduction="sum")
    return sums


def _finalise(sums: dict[str, float], rows: int, modalities: list[str], entropy: float) -> dict[str, float]:
    clean_correct = sums["clean_correct"]
    info = {m: entropy - sums[f"ce/{m}"] / rows for m in modalities}
    joint = entropy - sums["ce/joint"] / rows
    terms: dict[str, float] = {}
    for m in modalities:
        terms[f"mi/U/{m}"] = sums[f"U/{m}"] / rows
        terms[f"mi/LLR/{m}"] = sums[f"LLR/{m}"] / rows
        terms[f"mi/perm_importance/{m}"] = (
            sums[f"perm_correct/{m}"] / clean_correct if clean_correct > 0 else float("nan")
        )
        terms[f"mi/I/{m}"] = info[m]
    terms["mi/I/joint"] = joint
    terms["mi/co_information"] = sum(info.values()) - joint
    terms["mi/L_con"] = sums["L_con"] / rows
    terms["mi/shared_bound"] = sums["shared_bound"] / rows
    return terms


def _to_floats(sums: dict[str, torch.Tensor]) -> dict[str, float]:
    """One device→host transfer for all the sums."""
    values = torch.stack([v.reshape(()) for v in sums.values()]).tolist()
    return dict(zip(sums, values, strict=True))


def mi_terms(
    model: MultimodalModel,
    output: ModelOutput,
    labels: torch.Tensor,
    label_entropy: float,
    num_permutations: int = 4,
    generator: torch.Generator | None = None,
    temperature: float = DEFAULT_TEMPERATURE,
) -> dict[str, float]:
    """The MI terms of one batch (keys ``mi/U/<m>``, ``mi/LLR/<m>``, ``mi/perm_importance/<m>``, ``mi/I/<m>``,
    ``mi/I/joint``, ``mi/co_information``, ``mi/L_con``, ``mi/shared_bound``), from the unmasked features.

    ``mi/I/<m>`` uses unimodal head m, so it is only informative for strategies that train those heads.
    ``mi/perm_importance/<m>`` is NaN when no row of the batch is predicted correctly.
    """
    sums = _batch_sums(model, output, labels, num_permutations, temperature, generator)
    return _finalise(_to_floats(sums), len(labels), list(model.modalities), label_entropy)


class MIAccumulator:
    """Epoch-level MI terms over a split, fed batch by batch; permutations stay within each batch."""

    def __init__(
        self,
        model: MultimodalModel,
        label_entropy: float,
        num_permutations: int = 4,
        generator: torch.Generator | None = None,
        temperature: float = DEFAULT_TEMPERATURE,
    ) -> None:
        self.model = model
        self.label_entropy = label_entropy
        self.num_permutations = num_permutations
        self.generator = generator
        self.temperature = temperature
        self._sums: dict[str, torch.Tensor] = {}
        self._rows = 0

    def update(self, output: ModelOutput, labels: torch.Tensor) -> None:
        sums = _batch_sums(
            self.model, output, labels, self.num_permutations, self.temperature, self.generator
        )
        for key, value in sums.items():
            self._sums[key] = self._sums[key] + value if key in self._sums else value
        self._rows += len(labels)

    def result(self) -> dict[str, float]:
        """The split's MI terms (same keys as :func:`mi_terms`); empty if no batch was added."""
        if not self._rows:
            return {}
        return _finalise(_to_floats(self._sums), self._rows, list(self.model.modalities), self.label_entropy)
