"""Per-sample modality valuation of a trained model over one split.

Fast path: ONE encoder pass per sample, then head-only evaluations of all 2^M coalitions (absent =
feature replaced by the baseline: zeros, or encoder(0) for input-level absence). The brute-force
path re-runs the whole model once per coalition; it exists to check the fast path.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from core.data.batches import iterate_batches
from core.data.tensors import PreparedData
from core.models.multimodal import MultimodalModel
from core.valuation.result import ValuationResult, coalition_members
from core.valuation.shapley import exact_shapley, monte_carlo_shapley
from core.valuation.value_functions import VALUE_FUNCTIONS, CoalitionStats

ABSENCE_MODES = ("feature", "input")
AUTO_BATCH_SIZE = {"cpu": 64, "cuda": 256}
"""Samples per valuation batch for ``batch_size = 0``, by device type, measured with
benchmarks/valuation_batch.py (results in benchmarks/results/valuation_batch.md). Other devices take the
CUDA size."""


@dataclass
class ValuationSettings:
    value_fn: str = "benefit"
    absence: str = "feature"
    exact_max_modalities: int = 10
    mc_permutations: int = 256
    batch_size: int = 0
    """Samples per batch; 0: chosen for the device (:func:`resolve_batch_size`)."""
    seed: int = 0

    def __post_init__(self) -> None:
        VALUE_FUNCTIONS.get(self.value_fn)
        if self.absence not in ABSENCE_MODES:
            raise ValueError(f"valuation.absence must be one of {ABSENCE_MODES}, got {self.absence!r}")


def input_baseline(model: MultimodalModel, data: PreparedData, device: torch.device) -> torch.Tensor:
    """encoder_m(zero input) for every modality, [M, d]: the feature of an input-level absent modality."""
    zeros = {
        m: torch.zeros((1, *data.input_shape(m)), dtype=torch.float32, device=device)
        for m in data.samples.modalities
    }
    return model.encode(zeros)[0]


def resolve_batch_size(batch_size: int, device: torch.device | str) -> int:
    """``batch_size`` itself when set (> 0), else the device type's measured default."""
    if batch_size > 0:
        return batch_size
    return AUTO_BATCH_SIZE.get(torch.device(device).type, AUTO_BATCH_SIZE["cuda"])


@torch.no_grad()
def value_samples(
    model: MultimodalModel,
    data: PreparedData,
    index: np.ndarray,
    settings: ValuationSettings,
    device: torch.device,
    epoch: int = 0,
    split: str = "train",
) -> ValuationResult:
    """Shapley value of every modality for every sample in ``index`` (model put in eval mode)."""
    was_training = model.training
    model.eval()
    m = model.num_modalities
    value_fn = VALUE_FUNCTIONS.get(settings.value_fn)
    baseline = input_baseline(model, data, device) if settings.absence == "input" else None
    exact = m <= settings.exact_max_modalities
    members = torch.as_tensor(coalition_members(m), device=device) if exact else None
    generator = torch.Generator().manual_seed(settings.seed + epoch)
    phis, errors, values, predictions, correct, log_p = [], [], [], [], [], []
    batch_size = resolve_batch_size(settings.batch_size, device)
    for batch in iterate_batches(data, index, batch_size, device):
        features = model.encode(batch.inputs)
        full = torch.ones(1, m, dtype=torch.bool, device=device)
        full_logits = model.coalition_logits(features, full, baseline)[:, 0]
        predictions.append(full_logits.argmax(dim=-1))

        if members is not None:
            stats = CoalitionStats.from_logits(
                model.coalition_logits(features, members, baseline), batch.labels, members.sum(dim=1)
            )
            v = value_fn(stats)
            values.append(v)
            correct.append(stats.correct)
            log_p.append(stats.log_p)
            phis.append(exact_shapley(v))
        else:
            phi, err = monte_carlo_shapley(
                functools.partial(_values_of, model, value_fn, features, batch.labels, baseline=baseline),
                len(batch.labels),
                m,
                settings.mc_permutations,
                generator,
            )
            phis.append(phi)
            errors.append(err)
    model.train(was_training)
    labels = data.samples.labels[index]
    prediction = torch.cat(predictions).cpu().numpy() if predictions else np.zeros(0, np.int64)
    return ValuationResult(
        epoch=epoch,
        split=split,
        value_fn=settings.value_fn,
        modalities=list(model.modalities),
        sample_index=np.asarray(index, dtype=np.int64).copy(),
        phi=_stack(phis, (0, m)),
        coalition_values=_stack(values, (0, 2**m)) if exact else np.zeros((len(index), 0), np.float32),
        prediction=prediction,
        correct=prediction == labels,
        method="exact" if exact else "monte-carlo",
        phi_stderr=None if exact else _stack(errors, (0, m)),
        coalition_correct=_stack(correct, (0, 2**m)).astype(bool) if exact else None,
        coalition_log_p=_stack(log_p, (0, 2**m)) if exact else None,
    )


def _values_of(model, value_fn, features, labels, coalitions, baseline=None) -> torch.Tensor:
    """Values [B, K] of arbitrary coalitions [K, M]; ∅ is evaluated alongside so soft payoffs are exact."""
    empty = torch.zeros(1, coalitions.shape[1], dtype=torch.bool, device=features.device)
    with_empty = torch.cat([empty, coalitions.to(features.device)])
    logits = model.coalition_logits(features, with_empty, baseline)
    return value_fn(CoalitionStats.from_logits(logits, labels, with_empty.sum(dim=1)))[:, 1:]


def _stack(parts: list[torch.Tensor], empty_shape: tuple[int, int]) -> np.ndarray:
    if not parts:
        return np.zeros(empty_shape, np.float32)
    return torch.cat(parts).float().cpu().numpy()


@torch.no_grad()
def brute_force_values(
    model: MultimodalModel,
    data: PreparedData,
    index: np.ndarray,
    settings: ValuationSettings,
    device: torch.device,
) -> tuple[np.ndarray, np.ndarray]:
    """Reference valuation re-running the WHOLE model once per coalition: (phi [N, M], values [N, 2^M])."""
    was_training = model.training
    model.eval()
    m = model.num_modalities
    members = torch.as_tensor(coalition_members(m), device=device)
    value_fn = VALUE_FUNCTIONS.get(settings.value_fn)
    all_values = []
    for batch in iterate_batches(data, index, resolve_batch_size(settings.batch_size, device), device):
        logits = []
        for row in members:
            keep = row.expand(len(batch.labels), m)
            if settings.absence == "input":
                inputs = {
                    name: x if row[j] else torch.zeros_like(x, dtype=torch.float32)
                    for j, (name, x) in enumerate(batch.inputs.items())
                }
                logits.append(model(inputs).logits)
            else:
                logits.append(model(batch.inputs, keep=keep).logits)
        stats = CoalitionStats.from_logits(torch.stack(logits, dim=1), batch.labels, members.sum(dim=1))
        all_values.append(value_fn(stats))
    model.train(was_training)
    values = torch.cat(all_values)
    return exact_shapley(values).cpu().numpy(), values.cpu().numpy()
