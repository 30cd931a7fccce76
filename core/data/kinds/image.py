"""``image``: a still image per sample, decoded with OpenCV to RGB, resized (area interpolation) to
``data.video.height × width``: ``uint8 [3, H, W]``. The frame encoders take it as a one-frame clip;
a window does not apply."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np

from core.config import DataConfig
from core.data.kinds.base import Kind, Window, register
from core.data.media import MediaError

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")


def read_image(path: str | Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """The image file decoded by OpenCV (colour: BGR ``[H, W, 3]``; ``IMREAD_GRAYSCALE``: ``[H, W]``)."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise MediaError(path, f"cannot read the image ({exc.strerror or exc})") from None
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise MediaError(path, "cannot decode the image (not a JPEG, PNG, BMP or WebP file?)")
    return image


def preprocess_image(path: str | Path, height: int, width: int) -> np.ndarray:
    """The image as RGB resized to ``height × width``: ``uint8 [3, H, W]``."""
    rgb = cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB)
    resized = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(resized.transpose(2, 0, 1))


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    return preprocess_image(path, config.video.height, config.video.width)


def image_params(config: DataConfig) -> dict[str, Any]:
    """The image size (``data.video.height``, ``width``)."""
    return {"height": config.video.height, "width": config.video.width}


IMAGE = register(
    Kind(
        name="image",
        summary="still image (jpg, png, bmp, webp): RGB at data.video height × width, uint8 [3, H, W]",
        decode=_decode,
        params=image_params,
        default_encoder="frame-cnn",
        player="image",
        extensions=IMAGE_EXTENSIONS,
    )
)
