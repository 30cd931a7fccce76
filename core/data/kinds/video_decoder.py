"""Decoding for the ``video`` kind: ``frames`` evenly spaced RGB frames of a clip (or of a ``window``,
start and end in seconds), ``uint8 [T, 3, H, W]``."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.config import VideoConfig
from core.data.kinds.base import Window
from core.data.media import VideoClip, frame_positions, read_frames


def preprocess_video(path: str | Path, cfg: VideoConfig, window: Window | None = None) -> np.ndarray:
    """``cfg.frames`` evenly spaced RGB frames (of the ``window`` if given): ``uint8 [T, 3, H, W]``."""
    if window is None:
        frames = read_frames(path, cfg.frames, cfg.height, cfg.width)
    else:
        frames = _window_frames(path, cfg, window)
    return np.ascontiguousarray(frames.transpose(0, 3, 1, 2))


def window_span(clip: VideoClip, window: Window) -> tuple[int, int]:
    """``(first, end)``: the frames whose time (index / fps) lies in the window, at least one."""
    first = min(max(0, int(np.ceil(window[0] * clip.fps))), clip.frame_count - 1)
    return first, min(clip.frame_count, max(first + 1, int(np.floor(window[1] * clip.fps))))


def _window_frames(path: str | Path, cfg: VideoConfig, window: Window) -> np.ndarray:
    """``cfg.frames`` frames evenly spaced over the frames whose time lies in the window, resized, RGB."""
    with VideoClip(path) as clip:
        first, last = window_span(clip, window)
        positions = first + frame_positions(last - first, cfg.frames)
        frames = [
            cv2.resize(clip.read(int(i)), (cfg.width, cfg.height), interpolation=cv2.INTER_AREA)
            for i in positions
        ]
    return np.stack(frames)
