"""Synthetic demo sounds: the class's own sound (clear or buried in noise) or label-free noise and tones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from core.demo.av_classes import MOTIFS, TIMBRES, AVClass

SAMPLE_RATE = 8000
DURATION_S = 2.0
NUM_SAMPLES = int(SAMPLE_RATE * DURATION_S)
_PEAK = 0.8
_CLEAR_NOISE = 0.02
_NOISE = 0.3
_NOISY_LEVEL = 0.4
_NYQUIST = SAMPLE_RATE / 2
_TIME = np.arange(NUM_SAMPLES) / SAMPLE_RATE


def synth_sound(cls: AVClass, info: str, rng: np.random.Generator) -> np.ndarray:
    """Mono ``int16 [NUM_SAMPLES]`` at SAMPLE_RATE of one sample at informativeness ``info``.

    clear: the class's sound over faint noise. noisy: the same sound far below broadband noise. none:
    noise of random level and colour with two random sounds (pitch, timbre, motif and rate all drawn
    independently of the class).
    """
    if info == "clear":
        signal = _voice(cls.base_hz, cls.harmonics, cls.motif, cls.rate_hz, rng)
        signal += rng.normal(0.0, _CLEAR_NOISE, NUM_SAMPLES)
    elif info == "noisy":
        signal = _NOISY_LEVEL * _voice(cls.base_hz, cls.harmonics, cls.motif, cls.rate_hz, rng)
        signal += rng.normal(0.0, _NOISE, NUM_SAMPLES)
    elif info == "none":
        signal = _coloured_noise(rng, rng.uniform(_CLEAR_NOISE, _NOISE))
        for _ in range(2):
            hz = float(np.exp(rng.uniform(np.log(200.0), np.log(2400.0))))
            timbre = TIMBRES[rng.integers(len(TIMBRES))]
            motif = MOTIFS[rng.integers(len(MOTIFS))]
            signal += rng.uniform(0.1, 0.6) * _voice(hz, timbre, motif, rng.uniform(1.5, 10.0), rng)
    else:
        raise ValueError(f"unknown informativeness {info!r}; expected clear, noisy or none")
    peak = float(np.max(np.abs(signal)))
    return np.round(signal * (_PEAK * 32767 / peak)).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray) -> None:
    """Write 16-bit PCM mono WAV at SAMPLE_RATE."""
    soundfile.write(str(path), samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")


def _voice(
    base_hz: float, harmonics: tuple[float, ...], motif: str, rate_hz: float, rng: np.random.Generator
) -> np.ndarray:
    """A sound of about unit amplitude: a harmonic tone (or, for 'burst', a noise band) at a slightly
    jittered pitch whose pitch and loudness follow ``motif`` (see ``MOTIFS``) ``rate_hz`` times a second."""
    f0 = base_hz * rng.uniform(0.985, 1.015)
    cycle = rate_hz * _TIME + rng.uniform()
    octaves = _pitch_contour(motif, cycle)
    if motif == "burst":
        wave = _noise_band(f0, rng)
    else:
        phase = 2 * np.pi * np.cumsum(f0 * 2.0**octaves) / SAMPLE_RATE
        highest = 0.95 * _NYQUIST / (f0 * 2.0 ** float(octaves.max()))  # harmonic numbers that fit
        used = [(k, a) for k, a in enumerate(harmonics, start=1) if k == 1 or (a and k < highest)]
        wave = np.zeros_like(phase)
        for k, a in used:
            wave = wave + a * np.sin(k * phase + rng.uniform(0, 2 * np.pi))
        wave /= sum(a for _, a in used)
    if motif in ("pulse", "burst"):
        wave *= np.clip(2.0 * np.sin(2 * np.pi * cycle), 0.0, 1.0)
    return wave


def _pitch_contour(motif: str, cycle: np.ndarray) -> np.ndarray:
    """Pitch offset in octaves over time; ``cycle`` counts repetitions of the motif."""
    position = cycle % 1.0
    if motif == "rise":
        return 0.6 * position
    if motif == "fall":
        return 0.6 * (1.0 - position)
    if motif == "vibrato":
        return 0.2 * np.sin(2 * np.pi * cycle)
    if motif == "trill":
        return np.where(position < 0.5, 0.0, 1.0 / 3.0)
    if motif in ("steady", "pulse", "burst"):
        return np.zeros_like(cycle)
    raise ValueError(f"unknown sound motif {motif!r}; expected one of {', '.join(MOTIFS)}")


def _noise_band(centre_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise filtered to about a third of an octave around ``centre_hz``, RMS of a unit sine."""
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, NUM_SAMPLES))
    octaves_off = np.log2(np.maximum(np.fft.rfftfreq(NUM_SAMPLES, 1.0 / SAMPLE_RATE), 1.0) / centre_hz)
    spectrum *= np.exp(-0.5 * (octaves_off / 0.15) ** 2)
    band = np.fft.irfft(spectrum, NUM_SAMPLES)
    return band * (np.sqrt(0.5) / band.std())


def _coloured_noise(rng: np.random.Generator, sd: float) -> np.ndarray:
    """Gaussian noise low-passed at a random cut-off (from dull to nearly white), scaled to ``sd``."""
    spectrum = np.fft.rfft(rng.normal(0.0, 1.0, NUM_SAMPLES))
    cutoff_hz = np.exp(rng.uniform(np.log(300.0), np.log(8000.0)))
    spectrum /= 1.0 + np.fft.rfftfreq(NUM_SAMPLES, 1.0 / SAMPLE_RATE) / cutoff_hz
    noise = np.fft.irfft(spectrum, NUM_SAMPLES)
    return noise * (sd / noise.std())
