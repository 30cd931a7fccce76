"""ResNet-18 encoders as the reference code bases use them, trained from scratch by default.

Audio: a spectrogram as a one-channel image. Video: frames folded into the batch, the per-frame
features averaged over time (a still image is a one-frame clip). Flow: the same with a two-channel
(x, y displacement) stem. The trunk's
parameters keep their own names; ``core.models.encoders.pretrained`` maps torchvision's onto them.
"""

from __future__ import annotations

import torch
from torch import nn

from core.models.encoders.frames import scale_flow, scale_frames
from core.models.encoders.registry import ENCODERS, EncoderSpec

TRUNK_WIDTH = 512


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
    """The four-stage ResNet-18 trunk with global average pooling: [N, C, H, W] → [N, 512].

    Convolutions start Kaiming-normal (fan-out), batch norms at weight 1 and bias 0, as the references.
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, 64, 7, 2, 3, bias=False),
            nn.BatchNorm2d(64),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        stages, width = [], 64
        for out_ch, stride in ((64, 1), (128, 2), (256, 2), (TRUNK_WIDTH, 2)):
            stages += [BasicBlock(width, out_ch, stride), BasicBlock(out_ch, out_ch, 1)]
            width = out_ch
        self.stages = nn.Sequential(*stages)
        self.pool = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pool(self.stages(self.stem(x)))


def _projection(feature_dim: int) -> nn.Module:
    """The trunk's 512 features as they are at ``feature_dim`` 512 (the references), else a linear map."""
    return nn.Identity() if feature_dim == TRUNK_WIDTH else nn.Linear(TRUNK_WIDTH, feature_dim)


@ENCODERS.register(name="resnet18-audio")
class ResNet18Audio(nn.Module):
    """[B, F, S] spectrogram as a one-channel image → ResNet-18 → [B, d]."""

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__()
        self.trunk = ResNet18Trunk(1)
        self.proj = _projection(spec.feature_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(self.trunk(x.float().unsqueeze(1)))


class _FramesResNet18(nn.Module):
    """[B, T, C, H, W] frames ([B, C, H, W]: one frame) folded into the batch → ResNet-18 → temporal
    average → [B, d]."""

    channels = 3

    def __init__(self, spec: EncoderSpec) -> None:
        super().__init__()
        self.frame_norm = spec.frame_norm
        self.trunk = ResNet18Trunk(self.channels)
        self.proj = _projection(spec.feature_dim)

    def scale(self, frames: torch.Tensor) -> torch.Tensor:
        """Frames ``[N, C, H, W]`` as the floats the trunk sees."""
        return scale_frames(frames, self.frame_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            x = x.unsqueeze(1)
        batch, frames = x.shape[:2]
        return self.proj(self.trunk(self.scale(x.flatten(0, 1))).view(batch, frames, -1).mean(dim=1))


@ENCODERS.register(name="resnet18-video")
class ResNet18Video(_FramesResNet18):
    """[B, T, 3, H, W] RGB frames (scaled as ``spec.frame_norm``) → ResNet-18 per frame → mean over time."""


@ENCODERS.register(name="resnet18-flow")
class ResNet18Flow(_FramesResNet18):
    """[B, T, 2, H, W] optical flow in pixels per frame (divided by ``FLOW_SCALE``) → ResNet-18 with a
    two-channel stem per frame → time average → [B, d]."""

    channels = 2

    def scale(self, frames: torch.Tensor) -> torch.Tensor:
        return scale_flow(frames)
