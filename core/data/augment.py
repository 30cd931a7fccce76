"""From cached arrays to model inputs: train-time augmentation, deterministic evaluation.

The cache holds one deterministic array per file; this transform runs on every batch. Given a numpy
generator (training with ``data.augment`` on) it draws, per frame, a random resized crop and a
horizontal flip, and per spectrogram a random time crop. Without one (evaluation, valuation, or
augmentation off) it is deterministic: frames as cached, the centred time crop. Frames stay uint8;
the encoders scale them as ``frame_norm`` says (see ``core.models.encoders.frames``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from core.config import FRAME_NORMS, DataConfig
from core.data.kinds.audio_decoder import time_steps

CROP_SCALE = (0.08, 1.0)  # area fraction of a random resized crop (torchvision's RandomResizedCrop)
CROP_RATIO = (3 / 4, 4 / 3)  # its aspect-ratio range
CROP_ATTEMPTS = 10
FLIP_PROBABILITY = 0.5


@dataclass(frozen=True)
class InputTransform:
    """Per-modality batch transform: ``kinds`` maps each modality to its kind (video, audio, vector)."""

    kinds: dict[str, str] = field(default_factory=dict)
    frame_norm: str = "unit"
    """How the encoders scale the frames (``data.video.normalize``); the model is built with it."""
    augment: bool = False
    audio_crop: int = 0
    """Time steps of the spectrogram crop fed to the model; 0 keeps the whole spectrogram."""

    @classmethod
    def from_config(cls, config: DataConfig, kinds: dict[str, str]) -> InputTransform:
        if config.video.normalize not in FRAME_NORMS:
            raise ValueError(
                f"data.video.normalize must be one of {', '.join(FRAME_NORMS)}, "
                f"got {config.video.normalize!r}"
            )
        audio = config.audio
        crop = time_steps(audio, round(audio.crop_s * audio.sample_rate)) if audio.crop_s > 0 else 0
        return cls(dict(kinds), config.video.normalize, config.augment, crop)

    def output_shape(self, modality: str, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The shape of one sample's model input for a cached array of ``shape``."""
        if self.kinds.get(modality) == "audio" and self.audio_crop:
            return (*shape[:-1], min(self.audio_crop, shape[-1]))
        return tuple(shape)

    def __call__(
        self, inputs: dict[str, torch.Tensor], rng: np.random.Generator | None = None
    ) -> dict[str, torch.Tensor]:
        """Transform a batch; random (from ``rng``) only when augmentation is on and ``rng`` is given."""
        draw = rng if self.augment else None
        out = {}
        for modality, x in inputs.items():
            kind = self.kinds.get(modality)
            if kind == "video" and draw is not None:
                out[modality] = random_resized_crops(x, draw)
            elif kind == "audio" and self.audio_crop:
                out[modality] = crop_time(x, self.audio_crop, draw)
            else:
                out[modality] = x
        return out


def random_resized_crops(frames: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Each frame of ``[B, T, C, H, W]`` cropped at random (area and aspect drawn as torchvision's
    ``RandomResizedCrop``), resized back to H × W and flipped with probability 0.5."""
    batch, steps, _, height, width = frames.shape
    count = batch * steps
    boxes = np.array([crop_box(height, width, rng) for _ in range(count)], dtype=np.int64)
    return crop_resize(frames, boxes, rng.random(count) < FLIP_PROBABILITY)


def crop_resize(frames: torch.Tensor, boxes: np.ndarray, flips: np.ndarray) -> torch.Tensor:
    """Frame ``k`` of ``[B, T, C, H, W]`` (flattened order) cut to ``boxes[k] = (top, left, h, w)``,
    resized to H × W (bilinear, as ``F.interpolate`` of the crop with ``align_corners=False``)
    and mirrored left-right where ``flips[k]``. uint8 frames stay uint8 (rounded, as an image library's
    resize gives)."""
    batch, steps, channels, height, width = frames.shape
    count = batch * steps
    top, left, h, w = np.asarray(boxes, dtype=np.float64).T
    theta = np.zeros((count, 2, 3))
    theta[:, 0, 0] = np.where(flips, -w / width, w / width)
    theta[:, 0, 2] = (2 * left + w) / width - 1
    theta[:, 1, 1] = h / height
    theta[:, 1, 2] = (2 * top + h) / height - 1
    flat = frames.reshape(count, channels, height, width).float()
    grid = F.affine_grid(
        torch.as_tensor(theta, dtype=flat.dtype, device=flat.device), [count, channels, height, width], False
    )
    # Sample inside the crop only (its edge pixels repeat), as a resize of the cut-out crop does.
    for axis, start, size, full in ((0, left, w, width), (1, top, h, height)):
        low = torch.as_tensor((2 * start + 1) / full - 1, dtype=flat.dtype, device=flat.device)
        high = torch.as_tensor((2 * (start + size) - 1) / full - 1, dtype=flat.dtype, device=flat.device)
        grid[..., axis] = torch.maximum(
            torch.minimum(grid[..., axis], high.view(-1, 1, 1)), low.view(-1, 1, 1)
        )
    warped = F.grid_sample(flat, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if frames.dtype == torch.uint8:
        warped = warped.round().clamp(0, 255).to(torch.uint8)
    return warped.reshape(frames.shape)


def crop_box(height: int, width: int, rng: np.random.Generator) -> tuple[int, int, int, int]:
    """``(top, left, h, w)`` of a random crop: area fraction in ``CROP_SCALE``, log-uniform aspect in
    ``CROP_RATIO``; after ``CROP_ATTEMPTS`` misses, the largest centred crop within the ratio range."""
    area = height * width
    log_ratio = (math.log(CROP_RATIO[0]), math.log(CROP_RATIO[1]))
    for _ in range(CROP_ATTEMPTS):
        target = area * rng.uniform(*CROP_SCALE)
        ratio = math.exp(rng.uniform(*log_ratio))
        w = round(math.sqrt(target * ratio))
        h = round(math.sqrt(target / ratio))
        if 0 < w <= width and 0 < h <= height:
            return int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)), h, w
    ratio = width / height
    if ratio < CROP_RATIO[0]:
        w, h = width, round(width / CROP_RATIO[0])
    elif ratio > CROP_RATIO[1]:
        h, w = height, round(height * CROP_RATIO[1])
    else:
        w, h = width, height
    return (height - h) // 2, (width - w) // 2, h, w


def crop_time(x: torch.Tensor, length: int, rng: np.random.Generator | None) -> torch.Tensor:
    """``length`` consecutive time steps (last axis) of each spectrogram in ``[B, F, S]``: from a random
    start per sample when ``rng`` is given, else the centred ones."""
    total = x.shape[-1]
    if length >= total:
        return x
    if rng is None:
        start = (total - length) // 2
        return x[..., start : start + length]
    starts = torch.as_tensor(rng.integers(0, total - length + 1, size=x.shape[0]), device=x.device)
    steps = starts[:, None] + torch.arange(length, device=x.device)
    index = steps.view(x.shape[0], *([1] * (x.dim() - 2)), length).expand(*x.shape[:-1], length)
    return torch.gather(x, -1, index)
