"""``audio``: a sound (or a video file's audio stream) as the ``data.audio`` time-frequency array,
``float32 [F, S]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.config import AudioConfig, DataConfig
from core.data.kinds.base import KINDS, Kind, Window, with_windows

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".aiff", ".aif", ".mp3", ".m4a", ".aac", ".opus", ".wma")

# Settings added after the first cache files were written: part of a cache key only when they differ
# from these defaults, so the keys of earlier settings (the "small" recipe) stay what they were.
_LATER_AUDIO = (
    "transform",
    "pad_mode",
    "tile",
    "clip",
    "remove_mean",
    "n_mels",
    "frames",
    "norm_mean",
    "norm_scale",
)


def _decode(path: Path, config: DataConfig, window: Window | None) -> np.ndarray:
    from core.data.kinds.audio_decoder import (
        preprocess_audio,  # imported here: only decoding needs the media libraries
    )

    return preprocess_audio(path, config.audio, window)


def audio_params(config: DataConfig) -> dict[str, Any]:
    """The waveform and transform settings (later ones only when not at their default), and the window
    columns when set."""
    audio = config.audio
    params: dict[str, Any] = {
        "sample_rate": audio.sample_rate,
        "duration_s": audio.duration_s,
        "n_fft": audio.n_fft,
        "hop_length": audio.hop_length,
        "log_offset": audio.log_offset,
    }
    defaults = AudioConfig()
    params.update({k: getattr(audio, k) for k in _LATER_AUDIO if getattr(audio, k) != getattr(defaults, k)})
    return with_windows(params, config)


AUDIO = KINDS.register(
    Kind(
        name="audio",
        summary="sound, or the audio stream of a video file: data.audio spectrogram, float32 [F, S]",
        decode=_decode,
        params=audio_params,
        default_encoder="spec-cnn",
        player="audio",
        priority=20,
        extensions=AUDIO_EXTENSIONS,
        also_reads=("video",),
    )
)
