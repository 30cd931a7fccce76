import numpy as np
import pytest

from core.config import AudioConfig, DataConfig, VideoConfig
from core.data.decode import preprocess_sample, preprocessing_params
from core.data.kinds.audio_decoder import log_spectrogram
from tests.data.helpers import frame_number, tone, write_numbered_video, write_vector, write_wav


def test_spectrogram_shape_for_the_default_config():
    cfg = AudioConfig()
    waveform = tone(500.0, cfg.sample_rate, cfg.duration_s)
    spectrogram = log_spectrogram(waveform, cfg)
    expected_frames = 1 + round(cfg.sample_rate * cfg.duration_s) // cfg.hop_length
    assert spectrogram.shape == (cfg.n_fft // 2 + 1, expected_frames) == (128, 65)
    assert spectrogram.dtype == np.float32


def test_spectrogram_values_match_a_direct_fft():
    cfg = AudioConfig()
    waveform = np.random.default_rng(0).standard_normal(4000).astype(np.float32)
    spectrogram = log_spectrogram(waveform, cfg)
    column = 5  # centred frame: starts at 5 * hop - n_fft // 2
    start = column * cfg.hop_length - cfg.n_fft // 2
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(cfg.n_fft) / cfg.n_fft)  # periodic Hann
    magnitude = np.abs(np.fft.rfft(waveform[start : start + cfg.n_fft] * window))
    np.testing.assert_allclose(
        spectrogram[:, column], np.log(magnitude + cfg.log_offset), rtol=1e-4, atol=1e-4
    )
    peak = log_spectrogram(tone(1000.0, 8000, 1.0), cfg)[:, 10].argmax()
    assert peak == round(1000.0 * cfg.n_fft / 8000)


def test_spectrogram_rejects_too_short_input_and_bad_settings():
    with pytest.raises(ValueError, match="longer than n_fft // 2"):
        log_spectrogram(np.zeros(10, np.float32), AudioConfig())
    with pytest.raises(ValueError, match="hop_length >= 1"):
        log_spectrogram(np.zeros(1000, np.float32), AudioConfig(hop_length=0))


def test_preprocess_sample_per_kind(tmp_path):
    config = DataConfig(video=VideoConfig(frames=3, height=10, width=14))
    video = preprocess_sample("video", write_numbered_video(tmp_path / "v.mp4", 12), config)
    assert video.shape == (3, 3, 10, 14) and video.dtype == np.uint8 and video.flags.c_contiguous
    assert [frame_number(f.transpose(1, 2, 0)) for f in video] == [2, 6, 10]

    audio = preprocess_sample("audio", write_wav(tmp_path / "a.wav", tone(300.0, 16000, 0.7), 16000), config)
    assert audio.shape == (128, 65) and audio.dtype == np.float32

    vector = preprocess_sample("vector", write_vector(tmp_path / "f.npy", [[1, 2], [3, 4]]), config)
    assert vector.tolist() == [1, 2, 3, 4] and vector.dtype == np.float32

    with pytest.raises(ValueError, match="unknown modality kind 'text'"):
        preprocess_sample("text", tmp_path / "x.txt", config)


def test_preprocessing_params_follow_the_relevant_settings():
    base = DataConfig()
    assert preprocessing_params("video", base) != preprocessing_params(
        "video", DataConfig(video=VideoConfig(frames=8))
    )
    assert preprocessing_params("video", base) == preprocessing_params(
        "video", DataConfig(audio=AudioConfig(n_fft=510))
    )
    assert preprocessing_params("audio", base) != preprocessing_params(
        "audio", DataConfig(audio=AudioConfig(n_fft=510))
    )
    assert preprocessing_params("vector", base) == {}
