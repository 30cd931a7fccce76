"""Time-frequency transforms of a 1-D waveform, each the computation a reference pipeline uses.

``log_stft``: librosa's ``stft`` (centred frames, periodic Hann window) as log(|S| + offset).
``log_periodogram``: scipy's ``signal.spectrogram`` with its defaults (periodic Tukey window with
alpha 0.25, each segment's mean removed, one-sided power spectral density) as log(S + offset).
``kaldi_fbank``: Kaldi's log-mel filterbank (as ``torchaudio.compliance.kaldi.fbank``). The numbers
and their sources are in docs/recipes.md.
"""

from __future__ import annotations

import math

import numpy as np
import torch

KALDI_PREEMPHASIS = 0.97
KALDI_LOW_FREQ_HZ = 20.0
KALDI_LOG_FLOOR = float(np.finfo(np.float32).eps)  # log(max(x, eps)), the float32 machine epsilon
TUKEY_ALPHA = 0.25


def log_stft(
    waveform: np.ndarray, n_fft: int, hop_length: int, log_offset: float, pad_mode: str = "reflect"
) -> np.ndarray:
    """``log(|STFT| + log_offset)`` as ``float32 [n_fft // 2 + 1, 1 + len // hop_length]``.

    Periodic Hann window of ``n_fft`` samples, frames centred on multiples of ``hop_length``, the signal
    padded by ``n_fft // 2`` on both sides with ``pad_mode`` ("reflect" or "constant" zeros).
    """
    if pad_mode not in ("reflect", "constant"):
        raise ValueError(f"audio.pad_mode must be 'reflect' or 'constant', got {pad_mode!r}")
    signal = _signal(waveform, n_fft // 2 + 1)
    spectrum = torch.stft(
        signal,
        n_fft=n_fft,
        hop_length=hop_length,
        window=torch.hann_window(n_fft, dtype=signal.dtype),
        center=True,
        pad_mode=pad_mode,
        return_complex=True,
    )
    return _as_float32(torch.log(spectrum.abs() + log_offset))


def log_periodogram(
    waveform: np.ndarray, sample_rate: int, n_fft: int, hop_length: int, log_offset: float
) -> np.ndarray:
    """``log(PSD + log_offset)`` of segments of ``n_fft`` samples every ``hop_length``: ``[n_fft//2+1, S]``.

    ``S = 1 + (len - n_fft) // hop_length`` (incomplete segments at the end are dropped). Each segment
    has its mean removed and is multiplied by the periodic Tukey window ``w`` (alpha 0.25); its density
    is ``|rfft|² / (sample_rate · Σw²)``, doubled for every bin but the zero and Nyquist frequencies.
    """
    signal = _signal(waveform, n_fft)
    segments = signal.unfold(0, n_fft, hop_length)
    segments = segments - segments.mean(dim=1, keepdim=True)
    window = tukey_window(n_fft, TUKEY_ALPHA)
    power = torch.fft.rfft(segments * window).abs().square() / (sample_rate * window.square().sum())
    power[:, 1 : (n_fft + 1) // 2] *= 2.0
    return _as_float32(torch.log(power.T + log_offset))


def tukey_window(length: int, alpha: float) -> torch.Tensor:
    """The periodic Tukey (tapered cosine) window: the symmetric window of ``length + 1`` points, cut."""
    points = length + 1
    n = torch.arange(length, dtype=torch.float64)
    taper = alpha * (points - 1) / 2.0
    window = torch.ones(length, dtype=torch.float64)
    rising = n < taper
    window[rising] = 0.5 * (1 - torch.cos(math.pi * n[rising] / taper))
    falling = n > (points - 1) - taper
    window[falling] = 0.5 * (1 - torch.cos(math.pi * ((points - 1) - n[falling]) / taper))
    return window


def kaldi_fbank(waveform: np.ndarray, sample_rate: int, window: int, shift: int, n_mels: int) -> np.ndarray:
    """Kaldi log-mel filterbank energies: ``float32 [1 + (len - window) // shift, n_mels]``.

    Per frame of ``window`` samples: remove its mean, pre-emphasise (0.97, the first sample against
    itself), multiply by the symmetric Hann window, zero-pad to the next power of two, take the power
    spectrum, weight it by ``n_mels`` triangles equally spaced on the mel scale 1127·ln(1 + f/700) between
    20 Hz and the Nyquist frequency, and take log(max(energy, float32 epsilon)). No dither, no energy term.
    """
    signal = _signal(waveform, window)
    frames = signal.unfold(0, window, shift)
    frames = frames - frames.mean(dim=1, keepdim=True)
    previous = torch.cat([frames[:, :1], frames[:, :-1]], dim=1)
    frames = frames - KALDI_PREEMPHASIS * previous
    frames = frames * torch.hann_window(window, periodic=False, dtype=torch.float64)
    fft_size = 1 << (window - 1).bit_length()
    power = torch.fft.rfft(frames, n=fft_size).abs().square()
    energies = power @ mel_triangles(n_mels, fft_size, sample_rate).T
    return _as_float32(torch.log(energies.clamp_min(KALDI_LOG_FLOOR)))


def mel_triangles(n_mels: int, fft_size: int, sample_rate: int) -> torch.Tensor:
    """Kaldi's triangular mel filters over the ``fft_size // 2 + 1`` power-spectrum bins: ``[n_mels, bins]``.

    The triangles are built on the mel values of the bins below the Nyquist frequency; the Nyquist bin
    itself gets weight 0, as in Kaldi.
    """

    def mel(freq: torch.Tensor | float) -> torch.Tensor:
        return 1127.0 * torch.log1p(torch.as_tensor(freq, dtype=torch.float64) / 700.0)

    low, high = mel(KALDI_LOW_FREQ_HZ), mel(sample_rate / 2.0)
    step = (high - low) / (n_mels + 1)
    left = low + step * torch.arange(n_mels, dtype=torch.float64)[:, None]
    centre, right = left + step, left + 2 * step
    bins = mel(torch.arange(fft_size // 2, dtype=torch.float64) * sample_rate / fft_size)[None, :]
    rising = (bins - left) / (centre - left)
    falling = (right - bins) / (right - centre)
    weights = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return torch.cat([weights, torch.zeros(n_mels, 1, dtype=torch.float64)], dim=1)


def _signal(waveform: np.ndarray, min_length: int) -> torch.Tensor:
    """The waveform as float64 (every transform computes in double precision, then returns float32)."""
    signal = torch.as_tensor(np.asarray(waveform), dtype=torch.float64)
    if signal.ndim != 1 or len(signal) < min_length:
        raise ValueError(
            f"the transform needs a 1-D waveform of at least {min_length} samples, "
            f"got shape {tuple(signal.shape)}"
        )
    return signal


def _as_float32(values: torch.Tensor) -> np.ndarray:
    return np.ascontiguousarray(values.numpy(), dtype=np.float32)
