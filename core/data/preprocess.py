"""Turning one media file into the fixed-shape array a model consumes, per modality kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.config import AudioConfig, DataConfig, VideoConfig
from core.data.media import load_vector, load_waveform, read_frames

KINDS = ("video", "audio", "vector")


def log_spectrogram(waveform: np.ndarray, cfg: AudioConfig) -> np.ndarray:
    """``log(|STFT| + log_offset)`` of a 1-D waveform as ``float32 [n_fft // 2 + 1, frames]``.

    Hann window of ``n_fft`` samples, hop ``hop_length``, centred frames (reflect padding), so there
    are ``1 + len(waveform) // hop_length`` frames.
    """
    if cfg.n_fft < 2 or cfg.hop_length < 1 or cfg.log_offset <= 0:
        raise ValueError(
            f"audio config needs n_fft >= 2, hop_length >= 1 and log_offset > 0, got n_fft={cfg.n_fft}, "
            f"hop_length={cfg.hop_length}, log_offset={cfg.log_offset}"
        )
    signal = torch.as_tensor(np.asarray(waveform, dtype=np.float32))
    if signal.ndim != 1 or len(signal) <= cfg.n_fft // 2:
        raise ValueError(
            f"log_spectrogram needs a 1-D waveform longer than n_fft // 2 = {cfg.n_fft // 2} samples, "
            f"got shape {tuple(signal.shape)}"
        )
    spectrum = torch.stft(
        signal,
        n_fft=cfg.n_fft,
        hop_length=cfg.hop_length,
        window=torch.hann_window(cfg.n_fft),
        center=True,
        return_complex=True,
    )
    return torch.log(spectrum.abs() + cfg.log_offset).numpy().astype(np.float32, copy=False)


def preprocess_video(path: str | Path, cfg: VideoConfig) -> np.ndarray:
    """``cfg.frames`` evenly spaced RGB frames, channels first: ``uint8 [T, 3, H, W]``."""
    frames = read_frames(path, cfg.frames, cfg.height, cfg.width)
    return np.ascontiguousarray(frames.transpose(0, 3, 1, 2))


def preprocess_audio(path: str | Path, cfg: AudioConfig) -> np.ndarray:
    """Log-magnitude spectrogram of the mono, resampled, fixed-length waveform: ``float32 [F, S]``."""
    return log_spectrogram(load_waveform(path, cfg.sample_rate, cfg.duration_s), cfg)


def preprocess_vector(path: str | Path) -> np.ndarray:
    """The feature vector stored in a ``.npy`` file: ``float32 [D]``."""
    return load_vector(path)


def preprocess_sample(kind: str, path: str | Path, config: DataConfig) -> np.ndarray:
    """Preprocess one file of modality ``kind`` with the settings in ``config``."""
    if kind == "video":
        return preprocess_video(path, config.video)
    if kind == "audio":
        return preprocess_audio(path, config.audio)
    if kind == "vector":
        return preprocess_vector(path)
    raise ValueError(f"unknown modality kind {kind!r}; known: {', '.join(KINDS)}")


def preprocessing_params(kind: str, config: DataConfig) -> dict[str, Any]:
    """The settings the output of ``preprocess_sample(kind, ...)`` depends on (its cache key)."""
    if kind == "video":
        return {"frames": config.video.frames, "height": config.video.height, "width": config.video.width}
    if kind == "audio":
        audio = config.audio
        return {
            "sample_rate": audio.sample_rate,
            "duration_s": audio.duration_s,
            "n_fft": audio.n_fft,
            "hop_length": audio.hop_length,
            "log_offset": audio.log_offset,
        }
    if kind == "vector":
        return {}
    raise ValueError(f"unknown modality kind {kind!r}; known: {', '.join(KINDS)}")
