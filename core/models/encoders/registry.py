"""The encoder registry and the spec every encoder factory receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from core.registry import Registry


@dataclass(frozen=True)
class EncoderSpec:
    """What an encoder is built for: the modality kind, one sample's input shape, the feature width, and
    how visual encoders scale uint8 frames (``frame_norm``, see ``core.models.encoders.frames``)."""

    kind: str
    input_shape: tuple[int, ...]
    feature_dim: int
    frame_norm: str = "unit"


EncoderFactory = Callable[[EncoderSpec], nn.Module]
ENCODERS: Registry[EncoderFactory] = Registry("encoder")


def build_encoder(name: str, spec: EncoderSpec) -> nn.Module:
    """Build the encoder ``name`` for ``spec``; it maps a batch [B, *input_shape] to features [B, feature_dim]."""
    return ENCODERS.get(name)(spec)
