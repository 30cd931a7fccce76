"""Tiny media files and manifests written into a temporary folder for the data-layer tests."""

from __future__ import annotations

import csv
from pathlib import Path

import av
import cv2
import numpy as np
import soundfile

GREY_STEP = 20  # frame i of a numbered clip is uniformly grey with level i * GREY_STEP


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    """Encode BGR frames: 'mp4v' for .mp4, Motion-JPEG otherwise (e.g. .mkv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    height, width = frames[0].shape[:2]
    fourcc = cv2.VideoWriter_fourcc(*("mp4v" if path.suffix == ".mp4" else "MJPG"))
    writer = cv2.VideoWriter(str(path), fourcc, fps, (width, height))
    assert writer.isOpened(), f"cannot write {path}"
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def numbered_frames(count: int, height: int = 32, width: int = 48) -> list[np.ndarray]:
    """Grey frames whose level encodes their index."""
    return [np.full((height, width, 3), i * GREY_STEP, np.uint8) for i in range(count)]


def frame_number(frame: np.ndarray) -> int:
    """The index encoded by ``numbered_frames`` in a decoded frame (lossy codecs shift levels a bit)."""
    return int(round(float(frame.mean()) / GREY_STEP))


def write_numbered_video(path: Path, count: int = 12) -> Path:
    return write_video(path, numbered_frames(count))


def write_wav(path: Path, samples: np.ndarray, rate: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), samples, rate, subtype="FLOAT" if path.suffix == ".wav" else None)
    return path


def tone(freq: float, rate: int, duration_s: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(round(rate * duration_s)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_vector(path: Path, values) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.asarray(values))
    return path


def truncate(path: Path, fraction: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def spoil_last_frames(path: Path, count: int) -> Path:
    """Make the last ``count`` frames of a Motion-JPEG clip undecodable while its container still lists
    them: the JPEG image in each of their packets is zeroed in place."""
    with av.open(str(path)) as container:
        packets = [(p.pos, p.size) for p in container.demux(video=0) if p.size and p.pos is not None]
    data = bytearray(path.read_bytes())
    for position, size in packets[-count:]:
        start = data.find(b"\xff\xd8", position, position + size + 64)  # (pos may be the block's header)
        assert start >= 0, f"{path}: no JPEG image in the packet at byte {position}"
        data[start : start + size - 8] = bytes(size - 8)  # (stays inside the packet's payload)
    path.write_bytes(bytes(data))
    return path


def write_manifest(root: Path, header: list[str], rows: list[list[str]], bom: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / "manifest.csv"
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def make_sample(root: Path, name: str, label_index: int, audio_seconds: float = 0.5) -> tuple[str, str]:
    """A short clip and a tone for one sample; returns their paths relative to ``root``."""
    video = f"video/{name}.mp4"
    audio = f"audio/{name}.wav"
    write_video(root / video, numbered_frames(6, 24, 24))
    write_wav(root / audio, tone(220.0 * (label_index + 1), 8000, audio_seconds), 8000)
    return video, audio
