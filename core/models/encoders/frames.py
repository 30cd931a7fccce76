"""How visual encoders turn their inputs into floats: uint8 frames as the ``frame_norm`` of their
``EncoderSpec`` says, optical flow in pixels divided by ``FLOW_SCALE``."""

from __future__ import annotations

import torch

from core.config import FRAME_NORMS

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
FLOW_SCALE = 20.0
"""Pixels per frame that map to 1: the usual flow bound, so flow clipped at it lies in [-1, 1]."""


def scale_frames(frames: torch.Tensor, frame_norm: str) -> torch.Tensor:
    """Frames ``[N, C, H, W]`` with values 0..255 as floats: ``"unit"`` x / 127.5 - 1; ``"imagenet"``
    (x / 255 - mean) / std with the ImageNet RGB statistics (3 channels only)."""
    x = frames.float()
    if frame_norm == "unit":
        return x.div(127.5).sub(1.0)
    if frame_norm == "imagenet":
        if x.shape[1] != 3:
            raise ValueError(f"ImageNet normalisation needs 3-channel RGB frames, got {x.shape[1]} channels")
        mean = torch.tensor(IMAGENET_MEAN, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        std = torch.tensor(IMAGENET_STD, device=x.device, dtype=x.dtype).view(1, 3, 1, 1)
        return (x / 255.0 - mean) / std
    raise ValueError(f"frame normalisation must be one of {', '.join(FRAME_NORMS)}, got {frame_norm!r}")


def scale_flow(flow: torch.Tensor) -> torch.Tensor:
    """Flow ``[N, 2, H, W]`` in pixels per frame as floats divided by ``FLOW_SCALE``."""
    return flow.float().div(FLOW_SCALE)
