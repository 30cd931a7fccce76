"""Encoder registry: one small module per encoder family; each maps one modality's input to a pooled feature.
The default encoder of a modality kind is the kind's ``default_encoder`` (see ``core.data.kinds``)."""

from core.models.encoders.registry import ENCODERS, EncoderSpec, build_encoder
from core.registry import discover

__all__ = ["ENCODERS", "EncoderSpec", "build_encoder"]

discover(__name__, __path__, skip=lambda name: name in {"frames", "pretrained", "registry"})
