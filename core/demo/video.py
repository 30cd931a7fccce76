"""Synthetic demo clips: the class's moving shape (clear or buried in noise) or label-free distractors."""

from __future__ import annotations

import math
from pathlib import Path

import cv2
import numpy as np

from core.demo.av_classes import SHAPES, AVClass

SIZE = 64
FPS = 10
FRAMES = 20
_NOISY_OPACITY = 0.45
_NOISY_RADIUS = 7.75
_NOISY_BACKGROUND = 100.0
_NOISE_SD = 55.0
_SUBPIXEL_BITS = 4
_SCALE = 1 << _SUBPIXEL_BITS


def render_clip(cls: AVClass, info: str, rng: np.random.Generator) -> np.ndarray:
    """Frames ``uint8 [FRAMES, SIZE, SIZE, 3]`` (RGB) of one sample at informativeness ``info``.

    clear: the class shape, full contrast, on a dark quiet background. noisy: the same shape smaller and
    faded into a grey background under strong per-frame noise. none: two or three shapes whose kind,
    colour, size and motion are drawn at random, independently of the class.
    """
    if info == "clear":
        background, noise_sd = 20.0, 6.0
        sprites = [_class_sprite(cls, rng, radius=rng.uniform(10.0, 12.5), opacity=1.0)]
    elif info == "noisy":
        background, noise_sd = _NOISY_BACKGROUND, _NOISE_SD
        radius = rng.uniform(_NOISY_RADIUS - 0.75, _NOISY_RADIUS + 0.75)
        sprites = [_class_sprite(cls, rng, radius=radius, opacity=_NOISY_OPACITY)]
    elif info == "none":
        background, noise_sd = rng.uniform(20.0, _NOISY_BACKGROUND), rng.uniform(6.0, _NOISE_SD)
        sprites = [_random_sprite(rng) for _ in range(rng.integers(2, 4))]
    else:
        raise ValueError(f"unknown informativeness {info!r}; expected clear, noisy or none")
    frames = np.empty((FRAMES, SIZE, SIZE, 3), dtype=np.uint8)
    for t in range(FRAMES):
        canvas = np.full((SIZE, SIZE, 3), background, dtype=np.float32)
        for sprite in sprites:
            sprite.draw(canvas, t)
        canvas += rng.normal(0.0, noise_sd, canvas.shape).astype(np.float32)
        frames[t] = np.clip(canvas + 0.5, 0.0, 255.0)
    return frames


def write_mp4(path: Path, frames: np.ndarray, fps: float = FPS) -> None:
    """Encode RGB frames ``uint8 [T, H, W, 3]`` as an MPEG-4 Part 2 ('mp4v') file at ``fps`` frames per second."""
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise OSError(f"{path}: OpenCV cannot open an mp4v video writer")
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


class _Sprite:
    """A filled shape moving in a straight line, blended into the canvas with some opacity."""

    def __init__(
        self, shape: str, rgb: np.ndarray, radius: float, start: np.ndarray, step: np.ndarray, opacity: float
    ) -> None:
        self.shape, self.rgb, self.radius = shape, rgb, radius
        self.start, self.step, self.opacity = start, step, opacity

    def draw(self, canvas: np.ndarray, t: int) -> None:
        mask = np.zeros(canvas.shape[:2], dtype=np.uint8)
        _draw_shape(mask, self.shape, self.start + t * self.step, self.radius)
        alpha = mask.astype(np.float32)[..., None] * (self.opacity / 255.0)
        canvas *= 1.0 - alpha
        canvas += alpha * self.rgb


def _class_sprite(cls: AVClass, rng: np.random.Generator, radius: float, opacity: float) -> _Sprite:
    angle = math.radians(cls.direction_deg + rng.uniform(-8.0, 8.0))
    step = cls.speed_px * rng.uniform(0.9, 1.1) * np.array([math.cos(angle), -math.sin(angle)])
    centre = SIZE / 2 + rng.uniform(-5.0, 5.0, 2)
    start = centre - step * (FRAMES - 1) / 2
    rgb = np.clip(np.array(cls.rgb, dtype=np.float32) + rng.uniform(-15.0, 15.0, 3), 0.0, 255.0)
    return _Sprite(cls.shape, rgb, radius, start, step, opacity)


def _random_sprite(rng: np.random.Generator) -> _Sprite:
    angle = rng.uniform(0.0, 2 * math.pi)
    step = rng.uniform(0.3, 2.0) * np.array([math.cos(angle), -math.sin(angle)])
    centre = rng.uniform(16.0, SIZE - 16.0, 2)
    start = centre - step * (FRAMES - 1) / 2
    rgb = rng.uniform(30.0, 245.0, 3).astype(np.float32)
    shape = SHAPES[rng.integers(len(SHAPES))]
    return _Sprite(shape, rgb, rng.uniform(5.0, 10.0), start, step, rng.uniform(0.5, 1.0))


def _draw_shape(mask: np.ndarray, shape: str, centre: np.ndarray, r: float) -> None:
    """Fill ``shape`` of radius ``r`` around ``centre`` into ``mask`` with 255 (antialiased, subpixel)."""
    cx, cy = float(centre[0]), float(centre[1])
    if shape == "circle":
        cv2.circle(mask, _fixed(cx, cy), round(r * _SCALE), 255, -1, cv2.LINE_AA, _SUBPIXEL_BITS)
    elif shape == "ring":
        thickness = max(2, round(r / 3))
        cv2.circle(
            mask,
            _fixed(cx, cy),
            round((r - thickness / 2) * _SCALE),
            255,
            thickness,
            cv2.LINE_AA,
            _SUBPIXEL_BITS,
        )
    elif shape == "cross":
        arm = r / 3
        _polygon(mask, [(cx - r, cy - arm), (cx + r, cy - arm), (cx + r, cy + arm), (cx - r, cy + arm)])
        _polygon(mask, [(cx - arm, cy - r), (cx + arm, cy - r), (cx + arm, cy + r), (cx - arm, cy + r)])
    elif shape == "bar":
        h = r / 2.5
        _polygon(mask, [(cx - r, cy - h), (cx + r, cy - h), (cx + r, cy + h), (cx - r, cy + h)])
    else:
        _polygon(mask, _outline(shape, cx, cy, r))


def _outline(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if shape == "square":
        corners, radii, first = 4, [r * math.sqrt(2) * 0.85], 45.0
    elif shape == "diamond":
        corners, radii, first = 4, [r * 1.1], 90.0
    elif shape == "triangle":
        corners, radii, first = 3, [r * 1.15], 90.0
    elif shape == "star":
        corners, radii, first = 10, [r * 1.15, r * 0.5], 90.0
    else:
        raise ValueError(f"unknown shape {shape!r}")
    points = []
    for k in range(corners):
        a = math.radians(first + 360.0 * k / corners)
        radius = radii[k % len(radii)]
        points.append((cx + radius * math.cos(a), cy - radius * math.sin(a)))
    return points


def _polygon(mask: np.ndarray, points: list[tuple[float, float]]) -> None:
    pts = np.array([[round(x * _SCALE), round(y * _SCALE)] for x, y in points], dtype=np.int32)
    cv2.fillPoly(mask, [pts], 255, cv2.LINE_AA, _SUBPIXEL_BITS)


def _fixed(x: float, y: float) -> tuple[int, int]:
    return round(x * _SCALE), round(y * _SCALE)
