"""Encoder registry: one small module per encoder family; each maps one modality's input to a pooled feature."""

from core.models.encoders import mlp, resnet, small_cnn  # noqa: F401  (registration side effects)
from core.models.encoders.registry import DEFAULT_ENCODER, ENCODERS, EncoderSpec, build_encoder

__all__ = ["DEFAULT_ENCODER", "ENCODERS", "EncoderSpec", "build_encoder"]
