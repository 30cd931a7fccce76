"""Decoding for the ``audio`` kind: a sound (or a video file's audio stream) to the configured
time-frequency array ``float32 [F, S]`` (settings from the run's recipe, see docs/recipes.md).
A ``window`` (start, end in seconds) restricts a file to that part of the clip."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.config import AudioConfig
from core.data.kinds.base import Window
from core.data.media import DECODE_MARGIN_S, MediaError, fit_length, load_waveform, read_audio, resample
from core.data.spectral import kaldi_fbank, log_periodogram, log_stft

AUDIO_TRANSFORMS = ("stft", "spectrogram", "fbank")


def log_spectrogram(waveform: np.ndarray, cfg: AudioConfig) -> np.ndarray:
    """``log(|STFT| + log_offset)`` of a 1-D waveform as ``float32 [n_fft // 2 + 1, frames]``.

    Hann window of ``n_fft`` samples, hop ``hop_length``, centred frames (padded by ``cfg.pad_mode``), so
    there are ``1 + len(waveform) // hop_length`` frames.
    """
    _check_audio(cfg)
    signal = np.asarray(waveform, dtype=np.float32)
    if signal.ndim != 1 or len(signal) <= cfg.n_fft // 2:
        raise ValueError(
            f"log_spectrogram needs a 1-D waveform longer than n_fft // 2 = {cfg.n_fft // 2} samples, "
            f"got shape {tuple(signal.shape)}"
        )
    return log_stft(signal, cfg.n_fft, cfg.hop_length, cfg.log_offset, cfg.pad_mode)


def audio_features(waveform: np.ndarray, cfg: AudioConfig) -> np.ndarray:
    """The configured transform of a prepared waveform, cut or padded to ``cfg.frames``, normalised."""
    _check_audio(cfg)
    if cfg.transform == "stft":
        features = log_spectrogram(waveform, cfg)
    elif cfg.transform == "spectrogram":
        features = log_periodogram(waveform, cfg.sample_rate, cfg.n_fft, cfg.hop_length, cfg.log_offset)
    else:
        features = kaldi_fbank(waveform, cfg.sample_rate, cfg.n_fft, cfg.hop_length, cfg.n_mels).T
    if cfg.frames > 0:
        features = fit_frames(features, cfg.frames)
    if cfg.norm_mean != 0.0 or cfg.norm_scale != 1.0:
        features = (features - np.float32(cfg.norm_mean)) / np.float32(cfg.norm_scale)
    return np.ascontiguousarray(features, dtype=np.float32)


def fit_frames(features: np.ndarray, frames: int) -> np.ndarray:
    """Cut ``[F, S]`` to ``frames`` time steps, or pad it with zeros at the end to that many."""
    if features.shape[1] >= frames:
        return features[:, :frames]
    return np.pad(features, ((0, 0), (0, frames - features.shape[1])))


def prepared_waveform(path: str | Path, cfg: AudioConfig, window: Window | None = None) -> np.ndarray:
    """The waveform the transform sees: mono at ``sample_rate``, only the ``window`` when given,
    ``duration_s`` long (repeated end to end when shorter if ``cfg.tile``, else left shorter), then
    centred (its mean removed) and clipped to [-1, 1] when set."""
    if window is None and cfg.tile:
        waveform = load_waveform(path, cfg.sample_rate, cfg.duration_s)
    else:
        length = round(cfg.sample_rate * cfg.duration_s)
        if cfg.sample_rate < 1 or length < 1:
            raise ValueError(f"sample_rate {cfg.sample_rate} and duration_s {cfg.duration_s} give no samples")
        samples, rate = read_audio(path, max_s=(window[0] if window else 0.0) + cfg.duration_s + DECODE_MARGIN_S)
        waveform = resample(samples, rate, cfg.sample_rate)
        if window is not None:
            waveform = waveform[round(window[0] * cfg.sample_rate) : round(window[1] * cfg.sample_rate)]
            if len(waveform) == 0:
                raise MediaError(path, f"the window {window[0]:g}-{window[1]:g} s holds no audio")
        waveform = fit_length(waveform, length) if cfg.tile else np.ascontiguousarray(waveform[:length])
    if cfg.remove_mean:
        waveform = waveform - np.float32(waveform.mean(dtype=np.float64))
    return np.clip(waveform, -1.0, 1.0) if cfg.clip else waveform


def preprocess_audio(path: str | Path, cfg: AudioConfig, window: Window | None = None) -> np.ndarray:
    """The configured time-frequency array of ``prepared_waveform``: ``float32 [F, S]``."""
    _check_audio(cfg)
    waveform = prepared_waveform(path, cfg, window)
    needed = cfg.n_fft // 2 + 1 if cfg.transform == "stft" else cfg.n_fft
    if len(waveform) < needed:
        raise MediaError(path, f"the audio holds {len(waveform)} samples, the transform needs at least {needed}")
    return audio_features(waveform, cfg)


def time_steps(cfg: AudioConfig, samples: int) -> int:
    """How many time steps the configured transform gives for ``samples`` samples (before ``frames``)."""
    if cfg.transform == "stft":
        return 1 + samples // cfg.hop_length
    return max(0, 1 + (samples - cfg.n_fft) // cfg.hop_length)


def _check_audio(cfg: AudioConfig) -> None:
    if cfg.n_fft < 2 or cfg.hop_length < 1 or cfg.log_offset <= 0:
        raise ValueError(
            f"audio config needs n_fft >= 2, hop_length >= 1 and log_offset > 0, got n_fft={cfg.n_fft}, "
            f"hop_length={cfg.hop_length}, log_offset={cfg.log_offset}"
        )
    if cfg.transform not in AUDIO_TRANSFORMS:
        raise ValueError(
            f"audio.transform must be one of {', '.join(AUDIO_TRANSFORMS)}, got {cfg.transform!r}"
        )
    if cfg.norm_scale == 0:
        raise ValueError("audio.norm_scale must not be 0")
