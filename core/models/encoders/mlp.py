"""A two-layer MLP for feature-vector modalities."""

from __future__ import annotations

import math

import torch
from torch import nn

from core.models.encoders.registry import ENCODERS, EncoderSpec


@ENCODERS.register(name="mlp")
class VectorMLP(nn.Module):
    """[B, D] → [B, d] through one hidden layer."""

    def __init__(self, spec: EncoderSpec, hidden: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(math.prod(spec.input_shape), hidden),
            nn.ReLU(inplace=True),
            nn.Linear(hidden, spec.feature_dim),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.float().flatten(1))
