"""Tiny clips written with PyAV: numbered grey frames and, optionally, an audio stream."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from tests.data.helpers import GREY_STEP

VIDEO_CODECS = {".mp4": "libx264", ".flv": "flv", ".mkv": "mjpeg", ".avi": "mpeg4", ".webm": "libvpx"}
AUDIO_CODECS = {".mp4": "aac", ".m4a": "aac", ".flv": "aac", ".mkv": "pcm_s16le", ".webm": "libopus"}


def write_clip(
    path: Path,
    frames: int = 8,
    fps: int = 8,
    size: int = 32,
    audio: np.ndarray | None = None,
    rate: int = 16000,
    audio_codec: str | None = None,
    video: bool = True,
    step: int = GREY_STEP,
    keyframe_every: int | None = None,
) -> Path:
    """Frame i is uniformly grey at level i * ``step``; ``audio`` (mono float32 in [-1, 1]) becomes an
    audio stream in the container's usual codec (AAC in mp4 and flv, 16-bit PCM in mkv)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    with av.open(str(path), "w") as container:
        if video:
            stream = container.add_stream(VIDEO_CODECS[suffix], rate=fps)
            stream.width = stream.height = size
            stream.pix_fmt = "yuvj420p" if stream.codec_context.name == "mjpeg" else "yuv420p"
            if keyframe_every:
                stream.codec_context.gop_size = keyframe_every
        if audio is not None:
            sound = container.add_stream(audio_codec or AUDIO_CODECS[suffix], rate=rate)
            sound.layout = "mono"
        if video:
            for i in range(frames):
                image = np.full((size, size, 3), i * step, np.uint8)
                container.mux(stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")))
            container.mux(stream.encode())
        if audio is not None:
            _encode_audio(container, sound, np.asarray(audio, np.float32), rate)
    return path


def _encode_audio(container, stream, samples: np.ndarray, rate: int) -> None:
    layout = stream.codec_context.format.name
    step = stream.codec_context.frame_size or 1024
    for start in range(0, len(samples), step):
        chunk = samples[start : start + step][None, :]
        if layout.startswith("s16"):
            chunk = np.round(chunk * 32767).astype(np.int16)
        elif layout.startswith("s32"):
            chunk = np.round(chunk.astype(np.float64) * (2**31 - 1)).astype(np.int32)
        frame = av.AudioFrame.from_ndarray(chunk, format=layout, layout="mono")
        frame.sample_rate, frame.pts = rate, start
        container.mux(stream.encode(frame))
    container.mux(stream.encode())
