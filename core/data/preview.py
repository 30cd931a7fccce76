"""Still pictures of a sample's media for display: an image file, or the first step of its optical flow.

The player shows modalities whose kind declares ``player="image"`` with :func:`still_picture`. Flow is
drawn in the usual colour code: the direction of motion is the hue, its speed the brightness (the
largest displacement in the picture at full brightness).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from core.data.kinds.flow_decoder import farneback, flow_image_pairs
from core.data.kinds.image_decoder import read_image
from core.data.media import MediaError, VideoClip

MAX_SIDE = 720
"""A picture larger than this on its longest side is shrunk (area interpolation) before it is shown."""


def _shrunk(rgb: np.ndarray) -> np.ndarray:
    longest = max(rgb.shape[:2])
    if longest <= MAX_SIDE:
        return np.ascontiguousarray(rgb)
    scale = MAX_SIDE / longest
    size = (max(1, round(rgb.shape[1] * scale)), max(1, round(rgb.shape[0] * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def image_picture(path: Path) -> np.ndarray:
    """The image file as RGB ``uint8 [H, W, 3]``."""
    return _shrunk(cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB))


def flow_colours(flow: np.ndarray) -> np.ndarray:
    """Flow ``float32 [H, W, 2]`` (u, v) as RGB ``uint8 [H, W, 3]``: hue = direction, value = speed."""
    u, v = flow[..., 0].astype(np.float32), flow[..., 1].astype(np.float32)
    magnitude, angle = cv2.cartToPolar(u, v, angleInDegrees=True)
    peak = float(magnitude.max())
    hsv = np.empty((*flow.shape[:2], 3), dtype=np.uint8)
    hsv[..., 0] = (angle / 2).astype(np.uint8)  # OpenCV's hue runs 0..179
    hsv[..., 1] = 255
    hsv[..., 2] = 0 if peak == 0 else np.clip(magnitude * (255.0 / peak), 0, 255).astype(np.uint8)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)


def flow_picture(path: Path) -> np.ndarray:
    """The first flow step of a flow cell (a video: Farneback between its first two frames; a folder of
    flow images: its first x/y pair, 128 meaning no motion) as RGB ``uint8 [H, W, 3]``."""
    if path.is_dir():
        x_file, y_file = flow_image_pairs(path)[0]
        pair = [read_image(p, cv2.IMREAD_GRAYSCALE).astype(np.float32) - 127.5 for p in (x_file, y_file)]
        if pair[0].shape != pair[1].shape:
            raise MediaError(path, f"flow images {x_file.name} and {y_file.name} differ in size")
        return _shrunk(flow_colours(np.stack(pair, axis=-1)))
    with VideoClip(path) as clip:
        if clip.frame_count < 2:
            raise MediaError(path, "optical flow needs at least two frames; the video has one")
        grey = [cv2.cvtColor(_shrunk(clip.read(i)), cv2.COLOR_RGB2GRAY) for i in (0, 1)]
    return flow_colours(farneback(*grey))


PICTURES: dict[str, Callable[[Path], np.ndarray]] = {"image": image_picture, "flow": flow_picture}
"""How each still-picture kind is drawn, by kind name."""


def still_picture(kind: str, path: str | Path) -> np.ndarray:
    """The picture the player shows for a sample's ``kind`` media at ``path``: RGB ``uint8 [H, W, 3]``."""
    draw = PICTURES.get(kind)
    if draw is None:
        raise ValueError(f"no still picture for kind {kind!r}; known: {', '.join(PICTURES)}")
    return draw(Path(path))
