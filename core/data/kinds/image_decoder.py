"""Decoding still images with OpenCV: the ``image`` kind's decoder, and the flow images' reader."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from core.data.media import MediaError


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
