"""``video``: a clip as ``data.video.frames`` evenly spaced RGB frames, ``uint8 [T, 3, H, W]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.config import DataConfig
from core.data.kinds.base import KINDS, Kind, Window, with_windows

VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".flv", ".mpg", ".mpeg", ".wmv", ".3gp")


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    from core.data.kinds.video_decoder import preprocess_video  # imported here: only decoding needs OpenCV

    return preprocess_video(path, config.video, window)


def video_params(config: DataConfig) -> dict[str, Any]:
    """The frame count and size, and the window columns when set."""
    video = config.video
    return with_windows({"frames": video.frames, "height": video.height, "width": video.width}, config)


VIDEO = KINDS.register(
    Kind(
        name="video",
        summary="video clip: data.video.frames evenly spaced RGB frames, uint8 [T, 3, H, W]",
        decode=_decode,
        params=video_params,
        default_encoder="frame-cnn",
        player="video",
        priority=10,
        extensions=VIDEO_EXTENSIONS,
    )
)
