"""Small CPU-friendly CNNs: one over log-spectrograms, one over video frames (or still images, or optical
flow) with temporal average pooling."""

from __future__ import annotations

import torch
from torch import nn

from core.models.encoders.frames import scale_flow, scale_frames
from core.models.encoders.registry import ENCODERS, EncoderSpec

GROUPS = 8
"""Channel groups of each GroupNorm: normalisation by per-sample statistics, the same in training and
evaluation (BatchNorm's running averages lag the weights on small data; see benchmarks/learning.py)."""


GRID = 2
"""Frames are pooled to GRID × GRID cells, so the coarse layout of what is seen reaches the projection."""


def _conv_norm(in_channels: int, width: int, stride: int) -> list[nn.Module]:
    return [
        nn.Conv2d(in_channels, width, 3, stride=stride, padding=1, bias=False),
        nn.GroupNorm(min(GROUPS, width), width),
        nn.ReLU(inplace=True),
    ]


def _conv_stack(in_channels: int, widths: tuple[int, ...]) -> nn.Sequential:
    """One stage per width: a stride-2 and a stride-1 3 × 3 convolution, each normalised; [B, C, H, W] →
    [B, widths[-1], ceil(H / 2^n), ceil(W / 2^n)]."""
    layers: list[nn.Module] = []
    for width in widths:
        layers += _conv_norm(in_channels, width, 2) + _conv_norm(width, width, 1)
        in_channels = width
    return nn.Sequential(*layers)


def _halved(size: int, times: int) -> int:
    for _ in range(times):
        size = (size + 1) // 2
    return size


@ENCODERS.register(name="spec-cnn")
class SpectrogramCNN(nn.Module):
    """[B, F, S] log-spectrogram → [B, d], per-sample standardised input. The feature map is averaged over
    time only: where in frequency a pattern lies stays visible to the projection."""

    def __init__(self, spec: EncoderSpec, widths: tuple[int, ...] = (16, 32, 64, 128)) -> None:
        super().__init__()
        self.body = _conv_stack(1, widths)
        self.proj = nn.Linear(widths[-1] * _halved(spec.input_shape[0], len(widths)), spec.feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().unsqueeze(1)
        mean = x.mean(dim=(2, 3), keepdim=True)
        std = x.std(dim=(2, 3), keepdim=True).clamp_min(1e-3)
        return self.proj(self.body((x - mean) / std).mean(dim=3).flatten(1))


@ENCODERS.register(name="frame-cnn")
class FrameCNN(nn.Module):
    """[B, T, C, H, W] uint8 frames (scaled as ``spec.frame_norm``) → 2-D CNN per frame → time average.

    A still image [B, C, H, W] is a one-frame clip. ``in_channels`` is C (3: RGB).
    """

    def __init__(
        self, spec: EncoderSpec, widths: tuple[int, ...] = (16, 32, 64), in_channels: int = 3
    ) -> None:
        super().__init__()
        self.frame_norm = spec.frame_norm
        self.body = nn.Sequential(_conv_stack(in_channels, widths), nn.AdaptiveAvgPool2d(GRID), nn.Flatten())
        self.proj = nn.Linear(widths[-1] * GRID * GRID, spec.feature_dim)

    def scale(self, frames: torch.Tensor) -> torch.Tensor:
        """Frames ``[N, C, H, W]`` as the floats the CNN sees."""
        return scale_frames(frames, self.frame_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            x = x.unsqueeze(1)
        batch, frames = x.shape[:2]
        per_frame = self.body(self.scale(x.flatten(0, 1))).view(batch, frames, -1)
        return self.proj(per_frame.mean(dim=1))


@ENCODERS.register(name="flow-cnn")
class FlowCNN(FrameCNN):
    """[B, T, 2, H, W] optical flow in pixels per frame (divided by ``FLOW_SCALE``) → the frame CNN with
    two input channels."""

    def __init__(self, spec: EncoderSpec, widths: tuple[int, ...] = (16, 32, 64)) -> None:
        super().__init__(spec, widths, in_channels=2)

    def scale(self, frames: torch.Tensor) -> torch.Tensor:
        return scale_flow(frames)

