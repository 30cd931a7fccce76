"""``image``: a still image per sample, decoded with OpenCV to RGB, resized (area interpolation) to
``data.video.height × width``: ``uint8 [3, H, W]``. The frame encoders take it as a one-frame clip;
a window does not apply. The decoding is in ``core.data.kinds.image_decoder``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.config import DataConfig
from core.data.kinds.base import KINDS, Kind, Window

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    from core.data.kinds.image_decoder import preprocess_image  # imported here: only decoding needs OpenCV

    return preprocess_image(path, config.video.height, config.video.width)


def image_params(config: DataConfig) -> dict[str, Any]:
    """The image size (``data.video.height``, ``width``)."""
    return {"height": config.video.height, "width": config.video.width}


IMAGE = KINDS.register(
    Kind(
        name="image",
        summary="still image (jpg, png, bmp, webp): RGB at data.video height × width, uint8 [3, H, W]",
        decode=_decode,
        params=image_params,
        default_encoder="frame-cnn",
        player="image",
        priority=40,
        extensions=IMAGE_EXTENSIONS,
    )
)
