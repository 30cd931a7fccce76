"""ResNet-18 encoders (from scratch) for spectrograms and for frames folded into the batch."""

from __future__ import annotations

import torch
from torch import nn

from core.models.encoders.registry import ENCODERS, EncoderSpec


class BasicBlock(nn.Module):
    def __init__(self, in_ch: int, out_ch: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = (
            nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, stride, bias=False), nn.BatchNorm2d(out_ch))
            if stride != 1 or in_ch != out_ch
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet18Trunk(nn.Module):
    """The four-stage ResNet-18 trunk with global average pooling: [N, C, H, W] → [N, 512]."""

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        stages, width = [], 64
        for out_ch, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            stages += [BasicBlock(width, out_ch, stride), BasicBlock(out_ch, out_ch, 1)]
            width = out_ch
        self.stages = nn.Sequential(*stages)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stages(self.stem(x)))


@ENCODERS.register("resnet18-audio")
class ResNet18Audio(nn.Module):
    """[B, F, S] spectrogram as a one-channel image → ResNet-18 → [B, d]."""

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__()
        self.trunk = ResNet18Trunk(1)
        self.proj = nn.Linear(512, spec.feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.trunk(x.float().unsqueeze(1)))


@ENCODERS.register("resnet18-video")
class ResNet18Video(nn.Module):
    """[B, T, 3, H, W] frames folded into the batch → ResNet-18 → temporal average → [B, d]."""

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__()
        self.trunk = ResNet18Trunk(3)
        self.proj = nn.Linear(512, spec.feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, frames = x.shape[:2]
        flat = x.flatten(0, 1).float().div(127.5).sub(1.0)
        return self.proj(self.trunk(flat).view(batch, frames, -1).mean(dim=1))
