"""Shared by the strategies that train the unimodal heads: their losses, and tying the fused head to them."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from core.models.multimodal import ModelOutput, MultimodalModel


def unimodal_cross_entropies(output: ModelOutput, labels: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of each unimodal head [M], averaged over the rows where that modality is kept."""
    per_row = F.cross_entropy(
        output.unimodal_logits.transpose(1, 2), labels[:, None].expand(-1, keep.shape[1]), reduction="none"
    )
    keep = keep.to(per_row.dtype)
    return (per_row * keep).sum(0) / keep.sum(0).clamp_min(1)


def unimodal_terms(modalities: list[str], losses: torch.Tensor) -> dict[str, torch.Tensor]:
    """``loss/uni/<m>`` entries for logging (detached)."""
    return {f"loss/uni/{m}": losses[j].detach() for j, m in enumerate(modalities)}


@torch.no_grad()
def tie_fused_head_to_unimodal_average(model: MultimodalModel) -> None:
    """Set W = [W_1/M, …, W_M/M], b = mean b_m, so the fused logits equal the mean of the unimodal logits."""
    heads = model.linear_heads()
    model.fusion.weight.copy_(torch.cat([head.weight for head in heads], dim=1) / len(heads))
    model.fusion.bias.copy_(torch.stack([head.bias for head in heads]).mean(0))
