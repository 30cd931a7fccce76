"""Files that declare far more than is used: an image's declared size is checked before decoding, only
the seconds of audio the recipe uses are decoded, and a problem repeated on many rows is one line."""

import struct
import zlib

import numpy as np
import pytest

from core.config import AudioConfig
from core.data import media
from core.data.kinds.audio_decoder import preprocess_audio
from core.data.kinds.image_decoder import declared_size, read_image
from core.data.media import MediaError
from core.data.prepare import format_exclusions
from core.data.samples import Exclusion
from tests.data.helpers import tone, write_wav


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG file whose header declares ``width × height`` (its pixel data is a stub)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_an_image_declaring_a_huge_size_is_refused_before_decoding(tmp_path):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_declaring(32000, 32000))
    with pytest.raises(MediaError, match="declares 32000 × 32000 pixels"):
        read_image(path)


def test_declared_sizes_of_real_images(tmp_path):
    import cv2

    image = np.zeros((30, 50, 3), np.uint8)
    for suffix in (".png", ".jpg", ".bmp", ".webp"):
        cv2.imwrite(str(tmp_path / f"i{suffix}"), image)
        assert declared_size((tmp_path / f"i{suffix}").read_bytes()) == (50, 30), suffix


def test_only_the_seconds_used_are_decoded(tmp_path, monkeypatch):
    path = write_wav(tmp_path / "long.flac", tone(440, 8000, 60.0), 8000)
    decoded = []
    real_mono = media._mono
    monkeypatch.setattr(media, "_mono", lambda frame: decoded.append(frame.samples) or real_mono(frame))
    features = preprocess_audio(path, AudioConfig(sample_rate=8000, duration_s=2.0))
    assert features.shape[1] > 0
    assert sum(decoded) < 4 * 8000  # 2 s used, 60 s in the file


def test_a_problem_repeated_on_many_rows_is_one_line():
    bad = [Exclusion(row, f"s{row}", "x", "x/bad.npy", "file 'x/bad.npy' not found") for row in range(2, 100_002)]
    other = Exclusion(100_002, "t", "x", "x/t.npy", "holds an empty array")
    lines = format_exclusions([*bad, other]).splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("  100000 rows (2, 3, 4, ...), column 'x' (x/bad.npy)")
