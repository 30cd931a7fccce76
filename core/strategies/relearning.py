"""`relearning`: Diagnosing and Re-learning (Wei, Li & Hu, ECCV 2024; docs/methods.md#relearning).

Follows GeWu-Lab/BalanceBenchmark ``balancemm/trainer/ReLearning_trainer.py`` (purity L26-50, purity gap
and weights L90-119, soft re-initialisation L122-134, schedule L179-201; defaults ``configs/trainer_config.yaml``
L96-102).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.models.multimodal import MultimodalModel
from core.strategies.base import STRATEGIES, EpochStart, StepContext, Strategy, check_param


@dataclass(frozen=True)
class ReLearningParams:
    """λ = 3 (``move_lambda``), diagnosis every 15 epochs (``reinit_epoch``), at most 2 times (``reinit_num``):
    BalanceBenchmark's defaults."""

    move_lambda: float = field(default=3.0, metadata={"help": "λ in the re-initialisation strength tanh(λ·gap)"})
    reinit_epoch: int = field(default=15, metadata={"help": "diagnose and re-initialise every this many epochs"})
    reinit_num: int = field(default=2, metadata={"help": "at most this many re-initialisations"})

    def __post_init__(self) -> None:
        check_param("relearning", "move_lambda", self.move_lambda >= 0, "a number >= 0", self.move_lambda)
        check_param("relearning", "reinit_epoch", self.reinit_epoch >= 1, "an integer >= 1", self.reinit_epoch)
        check_param("relearning", "reinit_num", self.reinit_num >= 0, "an integer >= 0", self.reinit_num)


def purity(labels: np.ndarray, clusters: np.ndarray) -> float:
    """Share of samples whose label is the majority label of their cluster."""
    agree = 0
    for cluster in np.unique(clusters):
        members = labels[clusters == cluster]
        agree += np.bincount(members).max()
    return agree / max(len(labels), 1)


def kmeans(points: np.ndarray, k: int, seed: int = 0, restarts: int = 10, iterations: int = 300) -> np.ndarray:
    """Cluster index per row: Lloyd's k-means from k-means++ starts, the best of ``restarts`` by inertia."""
    rng = np.random.default_rng(seed)
    k = min(k, len(points))
    best, best_inertia = np.zeros(len(points), dtype=np.int64), np.inf
    for _ in range(restarts):
        starts = [points[rng.integers(len(points))]]
        for _ in range(1, k):
            distance = ((points[:, None] - np.asarray(starts)[None]) ** 2).sum(-1).min(1)
            total = distance.sum()
            pick = rng.choice(len(points), p=distance / total) if total > 0 else rng.integers(len(points))
            starts.append(points[pick])
        centres = np.asarray(starts)
        for _ in range(iterations):
            assign = ((points[:, None] - centres[None]) ** 2).sum(-1).argmin(1)
            moved = np.array([points[assign == c].mean(0) if (assign == c).any() else centres[c] for c in range(k)])
            if np.allclose(moved, centres):
                break
            centres = moved
        inertia = ((points - centres[assign]) ** 2).sum()
        if inertia < best_inertia:
            best, best_inertia = assign, inertia
    return best


def feature_purity(features: np.ndarray, labels: np.ndarray, classes: int) -> float:
    """Purity of k-means (k = classes) on features min-max scaled to [−1, 1] per dimension."""
    low, high = features.min(0), features.max(0)
    scaled = 2 * (features - low) / np.where(high > low, high - low, 1.0) - 1
    return purity(labels, kmeans(scaled, classes))


def reset_strength(train_purity: float, val_purity: float, move_lambda: float) -> float:
    """w = tanh(λ·|purity_train − purity_val|): how far an encoder is pulled back to its initial weights."""
    return float(np.tanh(move_lambda * abs(train_purity - val_purity)))


class InitialWeights(nn.Module):
    """The encoders' weights at the start of training and the number of re-initialisations so far
    (buffers: checkpoints carry them)."""

    done: torch.Tensor

    def __init__(self, model: MultimodalModel) -> None:
        super().__init__()
        self.names = {m: [n for n, _ in model.encoders[m].named_parameters()] for m in model.modalities}
        for m in model.modalities:
            for name, parameter in model.encoders[m].named_parameters():
                self.register_buffer(_key(m, name), parameter.detach().clone())
        self.register_buffer("done", torch.zeros((), dtype=torch.int64))

    def initial(self, modality: str, name: str) -> torch.Tensor:
        return getattr(self, _key(modality, name))


def _key(modality: str, name: str) -> str:
    return f"{modality}__{name.replace('.', '__')}"


@STRATEGIES.register
class ReLearning(Strategy):
    """Loss = CE(fused). Before epoch e (e > 0, e % reinit_epoch == 0, at most ``reinit_num`` times), the
    pooled features of every encoder on the training and the validation split are clustered (k-means, k =
    number of classes, after min-max scaling to [−1, 1]); purity gap g_m = |purity_train − purity_val|,
    w_m = tanh(λ g_m), and every parameter θ of encoder m becomes w_m θ_init + (1 − w_m) θ (soft
    re-initialisation towards the weights at the start of training). The released trainer does this after the
    training pass of such an epoch; here it happens at the start of the next one (the same point in training).
    Needs a validation split. Any M ≥ 1 works (each encoder is diagnosed on its own). Logged per diagnosis
    through the epoch's steps: ``relearning/strength/<m>`` (0 in epochs without one)."""

    name = "relearning"
    summary = "Diagnose each encoder by the train/val purity gap of its k-means clusters; softly re-initialise."
    Params = ReLearningParams

    def __init__(self, params: ReLearningParams, model: MultimodalModel) -> None:
        super().__init__(params, model)
        self.initial = InitialWeights(model)
        self.strength = dict.fromkeys(self.modalities, 0.0)

    def extra_modules(self) -> dict[str, nn.Module]:
        return {"relearning_initial": self.initial}

    def diagnosing(self, epoch: int) -> bool:
        return epoch > 0 and epoch % self.params.reinit_epoch == 0 and int(self.initial.done) < self.params.reinit_num

    @torch.no_grad()
    def before_epoch(self, ctx: EpochStart) -> None:
        self.strength = dict.fromkeys(self.modalities, 0.0)
        if not self.diagnosing(ctx.epoch):
            return
        if len(ctx.val_index) == 0:
            raise ValueError("strategy 'relearning' needs a validation split to diagnose the encoders")
        self.initial.done += 1
        train, train_labels = encoder_features(ctx, ctx.train_index)
        val, val_labels = encoder_features(ctx, ctx.val_index)
        classes = ctx.model.num_classes
        for j, m in enumerate(self.modalities):
            purity_train = feature_purity(train[:, j], train_labels, classes)
            purity_val = feature_purity(val[:, j], val_labels, classes)
            self.strength[m] = reset_strength(purity_train, purity_val, self.params.move_lambda)
            soft_reinitialise(ctx.model, self.initial, m, self.strength[m])

    def loss_terms(self, ctx: StepContext) -> dict[str, torch.Tensor]:
        terms = super().loss_terms(ctx)
        for m in self.modalities:
            terms[f"relearning/strength/{m}"] = torch.tensor(self.strength[m])
        return terms


def soft_reinitialise(model: MultimodalModel, initial: InitialWeights, modality: str, strength: float) -> None:
    """θ ← w·θ_init + (1 − w)·θ for every parameter of the modality's encoder."""
    for name, parameter in model.encoders[modality].named_parameters():
        parameter.mul_(1 - strength).add_(strength * initial.initial(modality, name).to(parameter.dtype))


def encoder_features(ctx: EpochStart, index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pooled features [N, M, d] and labels [N] of the given rows, in eval mode."""
    model = ctx.model
    was_training = model.training
    model.eval()
    features, labels = [], []
    for batch in ctx.batches(index):
        features.append(model.encode(batch.inputs).float().cpu().numpy())
        labels.append(batch.labels.cpu().numpy())
    model.train(was_training)
    return np.concatenate(features), np.concatenate(labels)
