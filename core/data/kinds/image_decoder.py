"""Decoding still images with OpenCV: the ``image`` kind's decoder, and the flow images' reader."""

from __future__ import annotations

import struct
from pathlib import Path

import cv2
import numpy as np

from core.data.media import MediaError

MAX_IMAGE_PIXELS = 1 << 27
"""Images declaring more pixels (134 MP, about 400 MB decoded) are refused before decoding: a small
file can declare a huge image (a 1 MB PNG of 32000 × 32000 decodes to 3 GB)."""
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}  # JPEG start-of-frame markers


def declared_size(data: bytes) -> tuple[int, int] | None:
    """``(width, height)`` as the header of a PNG, JPEG, BMP or WebP file declares it (None: not found)."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(width), abs(height)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            return 1 + int.from_bytes(data[24:27], "little"), 1 + int.from_bytes(data[27:30], "little")
        if chunk == b"VP8L":
            bits = int.from_bytes(data[21:25], "little")
            return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
        if chunk == b"VP8 ":
            width, height = struct.unpack("<HH", data[26:30])
            return width & 0x3FFF, height & 0x3FFF
    if data[:2] == b"\xff\xd8":
        return _jpeg_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    position = 2
    while position + 9 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return width, height
        if marker in (0x01, *range(0xD0, 0xD9)):  # markers without a length
            position += 2
            continue
        position += 2 + struct.unpack(">H", data[position + 2 : position + 4])[0]
    return None


def read_image(path: str | Path, flags: int = cv2.IMREAD_COLOR) -> np.ndarray:
    """The image file decoded by OpenCV (colour: BGR ``[H, W, 3]``; ``IMREAD_GRAYSCALE``: ``[H, W]``);
    an image declaring more than ``MAX_IMAGE_PIXELS`` raises ``MediaError`` without being decoded."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as exc:
        raise MediaError(path, f"cannot read the image ({exc.strerror or exc})") from None
    size = declared_size(data[: 1 << 20].tobytes())
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        raise MediaError(path, f"the image declares {size[0]} × {size[1]} pixels, more than the "
                         f"{MAX_IMAGE_PIXELS / 1e6:.0f} MP ModaLens decodes (a decompression bomb?)")
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise MediaError(path, "cannot decode the image (not a JPEG, PNG, BMP or WebP file?)")
    return image


def preprocess_image(path: str | Path, height: int, width: int) -> np.ndarray:
    """The image as RGB resized to ``height × width``: ``uint8 [3, H, W]``."""
    rgb = cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB)
    resized = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(resized.transpose(2, 0, 1))
