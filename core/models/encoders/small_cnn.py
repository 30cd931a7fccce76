"""Small CPU-friendly CNNs: one over log-spectrograms, one over video frames with temporal average pooling."""

from __future__ import annotations

import torch
from torch import nn

from core.models.encoders.frames import scale_frames
from core.models.encoders.registry import ENCODERS, EncoderSpec


def _conv_stack(in_channels: int, widths: tuple[int, ...]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width in widths:
        layers += [
            nn.Conv2d(in_channels, width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
        ]
        in_channels = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
    return nn.Sequential(*layers)


class SpectrogramCNN(nn.Module):
    """[B, F, S] log-spectrogram → [B, d], per-sample standardised input."""

    def __init__(self, spec: EncoderSpec, widths: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__()
        self.body = _conv_stack(1, widths)
        self.proj = nn.Linear(widths[-1], spec.feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().unsqueeze(1)
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
        return self.proj(self.body((x - mean) / std))


class FrameCNN(nn.Module):
    """[B, T, 3, H, W] uint8 frames (scaled as ``spec.frame_norm``) → 2-D CNN per frame → time average."""

    def __init__(self, spec: EncoderSpec, widths: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__()
        self.frame_norm = spec.frame_norm
        self.body = _conv_stack(3, widths)
        self.proj = nn.Linear(widths[-1], spec.feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames = x.shape[:2]
        flat = scale_frames(x.flatten(0, 1), self.frame_norm)
        per_frame = self.body(flat).view(batch, frames, -1)
        return self.proj(per_frame.mean(dim=1))


ENCODERS.register("spec-cnn")(SpectrogramCNN)
ENCODERS.register("frame-cnn")(FrameCNN)
