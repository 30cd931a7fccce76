"""Late-fusion multimodal classifier: per-modality encoders, additive fusion head, unimodal heads.

A modality is *absent* for a sample when its pooled feature is replaced by a baseline vector
(zeros by default: the reference semantics). Valuation, re-sampling copies and MCR permutations all
go through this one mechanism.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from core.config import ModelConfig
from core.data.kinds import get_kind, kind_names
from core.data.tensors import PreparedData
from core.models.encoders import EncoderSpec, build_encoder


@dataclass(frozen=True)
class ModelOutput:
    """Features [B, M, d], fused logits [B, C] and unimodal-head logits [B, M, C] of one forward pass."""

    features: torch.Tensor
    logits: torch.Tensor
    unimodal_logits: torch.Tensor


class MultimodalModel(nn.Module):
    """Encoders per modality → pooled features → concatenation → one linear layer (additive fusion).

    ``cosine_scale`` (None by default) switches the fusion head to cosine logits: with a number s the
    logits are s · Σ_m cos(z_m, W_m[c]) and the bias is not used (MMCosine; the strategy ``mmcosine`` sets
    it). Both forms are additive over modalities, so coalition logits and Shapley values stay exact."""

    def __init__(self, encoders: dict[str, nn.Module], feature_dim: int, num_classes: int) -> None:
        super().__init__()
        self.modalities = list(encoders)
        self.feature_dim = feature_dim
        self.num_classes = num_classes
        self.encoders = nn.ModuleDict(encoders)
        self.fusion = nn.Linear(len(encoders) * feature_dim, num_classes)
        self.unimodal_heads = nn.ModuleList(nn.Linear(feature_dim, num_classes) for _ in encoders)
        self.cosine_scale: float | None = None

    @property
    def num_modalities(self) -> int:
        return len(self.modalities)

    def encode(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """One encoder pass per modality: [B, M, d]."""
        return torch.stack([self.encoders[m](inputs[m]) for m in self.modalities], dim=1)

    def mask_features(
        self, features: torch.Tensor, keep: torch.Tensor | None, baseline: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Replace the features of absent modalities (keep[b, m] == 0) by the baseline (default zeros)."""
        if keep is None:
            return features
        keep = keep.to(features.dtype).unsqueeze(-1)
        masked = features * keep
        if baseline is not None:
            masked = masked + (1 - keep) * baseline.to(features.dtype)
        return masked

    def modality_weights(self) -> torch.Tensor:
        """The fusion weight split per modality: [M, C, d]."""
        weight = self.fusion.weight.view(self.num_classes, self.num_modalities, self.feature_dim)
        return weight.permute(1, 0, 2)

    def modality_logits(self, features: torch.Tensor) -> torch.Tensor:
        """Each modality's additive summand of the fused logits (no bias): [B, M, C]; W_m z_m, or
        s · cos(z_m, W_m[c]) with the cosine head (an all-zero feature gives 0 in both)."""
        if self.cosine_scale is None:
            return torch.einsum("bmd,mcd->bmc", features, self.modality_weights())
        unit_features = F.normalize(features, dim=-1)
        unit_weights = F.normalize(self.modality_weights(), dim=-1)
        return self.cosine_scale * torch.einsum("bmd,mcd->bmc", unit_features, unit_weights)

    @property
    def fusion_bias(self) -> torch.Tensor:
        """The bias of the fused logits: the fusion layer's, or zeros with the cosine head."""
        bias = self.fusion.bias
        return bias if self.cosine_scale is None else torch.zeros_like(bias)

    def fuse(self, features: torch.Tensor) -> torch.Tensor:
        if self.cosine_scale is None:
            return self.fusion(features.flatten(1))
        return self.modality_logits(features).sum(1)

    def unimodal(self, features: torch.Tensor) -> torch.Tensor:
        return torch.stack([head(features[:, j]) for j, head in enumerate(self.unimodal_heads)], dim=1)

    def linear_heads(self) -> list[nn.Linear]:
        """The unimodal heads, one ``nn.Linear`` per modality in order (typed, unlike the ModuleList)."""
        return [cast(nn.Linear, head) for head in self.unimodal_heads]

    def coalition_logits(
        self, features: torch.Tensor, members: torch.Tensor, baseline: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Fused logits of every coalition from one set of features: [B, K, C] for members [K, M].

        Exact for the additive head: logits_S = b + Σ_{j∈S} W_j z_j + Σ_{j∉S} W_j base_j (summands as in
        :meth:`modality_logits` for the cosine head).
        """
        present = members.to(features.dtype)
        logits = torch.einsum("km,bmc->bkc", present, self.modality_logits(features))
        if baseline is not None:
            absent_part = self.modality_logits(baseline.to(features.dtype).unsqueeze(0))[0]
            logits = logits + torch.einsum("km,mc->kc", 1 - present, absent_part).unsqueeze(0)
        return logits + self.fusion_bias

    def forward(
        self,
        inputs: dict[str, torch.Tensor],
        keep: torch.Tensor | None = None,
        baseline: torch.Tensor | None = None,
    ) -> ModelOutput:
        features = self.encode(inputs)
        fused_input = self.mask_features(features, keep, baseline)
        return ModelOutput(features, self.fuse(fused_input), self.unimodal(features))


def zero_absent_inputs(
    inputs: dict[str, torch.Tensor], keep: torch.Tensor, modalities: list[str]
) -> dict[str, torch.Tensor]:
    """Input-level absence: each row's absent modalities (``keep[b, m] == 0``) get an all-zero input."""
    zeroed = {}
    for position, modality in enumerate(modalities):
        x = inputs[modality]
        row_keep = keep[:, position].to(x.dtype).reshape(-1, *([1] * (x.dim() - 1)))
        zeroed[modality] = x * row_keep
    return zeroed


def build_model(
    modality_kinds: dict[str, str],
    input_shapes: dict[str, tuple[int, ...]],
    num_classes: int,
    feature_dim: int,
    encoder_names: dict[str, str] | None = None,
    kind_encoders: dict[str, str] | None = None,
    frame_norm: str = "unit",
) -> MultimodalModel:
    """Build the model for the given modalities: ``encoder_names`` per modality, else ``kind_encoders``
    per kind, else the default for the kind; ``frame_norm`` is how visual encoders scale frames."""
    encoder_names = encoder_names or {}
    kind_encoders = kind_encoders or {}
    unknown = sorted(set(encoder_names) - set(modality_kinds))
    if unknown:
        raise ValueError(
            f"model.encoders names unknown modalities {unknown}; known: {sorted(modality_kinds)}"
        )
    unknown = sorted(set(kind_encoders) - set(kind_names()))
    if unknown:
        raise ValueError(f"model.kind_encoders names unknown kinds {unknown}; known: {sorted(kind_names())}")
    encoders = {
        m: build_encoder(
            encoder_names.get(m, kind_encoders.get(kind, get_kind(kind).default_encoder)),
            EncoderSpec(kind, input_shapes[m], feature_dim, frame_norm),
        )
        for m, kind in modality_kinds.items()
    }
    return MultimodalModel(encoders, feature_dim, num_classes)


def build_model_for_data(data: PreparedData, config: ModelConfig) -> MultimodalModel:
    """The model for a prepared dataset: one encoder per modality, sized from its model inputs."""
    return build_model(
        data.samples.modality_kinds,
        {m: data.input_shape(m) for m in data.samples.modalities},
        data.samples.num_classes,
        config.feature_dim,
        config.encoders,
        config.kind_encoders,
        data.transform.frame_norm if data.transform is not None else "unit",
    )
