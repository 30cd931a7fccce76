"""The encoder registry and the spec every encoder factory receives."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from torch import nn

from core.registry import Registry


@dataclass(frozen=True)
class EncoderSpec:
    """What an encoder is built for: the modality kind, one sample's input shape, the feature width."""

    kind: str
    input_shape: tuple[int, ...]
    feature_dim: int


EncoderFactory = Callable[[EncoderSpec], nn.Module]
ENCODERS: Registry[EncoderFactory] = Registry("encoder")

DEFAULT_ENCODER = {"video": "frame-cnn", "audio": "spec-cnn", "vector": "mlp"}


def build_encoder(name: str, spec: EncoderSpec) -> nn.Module:
    """Build the encoder ``name`` for ``spec``; it maps a batch [B, *input_shape] to features [B, feature_dim]."""
    return ENCODERS.get(name)(spec)
