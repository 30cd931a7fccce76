"""The fused head's per-modality parts u_m = W_m z_m + share·b, used as unimodal logits by some strategies."""

from __future__ import annotations

import dataclasses

import torch

from core.models.multimodal import ModelOutput, MultimodalModel
from core.strategies.unimodal_heads import unimodal_cross_entropies


def summand_logits(
    model: MultimodalModel, features: torch.Tensor, keep: torch.Tensor | None, bias_share: float
) -> torch.Tensor:
    """u_m = W_m z_m + bias_share·b from the features as the fused head sees them (absent ones zeroed).

    Returns [B, M, C]."""
    return model.modality_logits(model.mask_features(features, keep)) + bias_share * model.fusion.bias


def summand_cross_entropies(
    output: ModelOutput, logits: torch.Tensor, labels: torch.Tensor, keep: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy of each u_m [M], averaged over the rows where modality m is kept."""
    return unimodal_cross_entropies(dataclasses.replace(output, unimodal_logits=logits), labels, keep)
