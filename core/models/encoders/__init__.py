"""Encoder registry: one small module per encoder family; each maps one modality's input to a pooled feature.
The default encoder of a modality kind is the kind's ``default_encoder`` (see ``core.data.kinds``)."""

from core.models.encoders import mlp, resnet, small_cnn  # noqa: F401  (registration side effects)
from core.models.encoders.registry import ENCODERS, EncoderSpec, build_encoder

__all__ = ["ENCODERS", "EncoderSpec", "build_encoder"]
