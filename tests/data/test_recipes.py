"""Each recipe's audio array has the reference's shape and equals an independent numpy/scipy computation."""

import dataclasses

import numpy as np
import pytest
import scipy.signal
import torch

from core.config import AudioConfig, ConfigError, DataConfig, RunConfig
from core.data.augment import InputTransform
from core.data.decode import preprocessing_params
from core.data.kinds.audio_decoder import preprocess_audio
from core.data.media import MediaError
from core.data.prepare import prepare_dataset
from core.recipes import RECIPES
from tests.data.helpers import frame_number, numbered_frames, write_manifest, write_video, write_wav

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def noisy_tone(rate, seconds, seed=0, amplitude=0.6):
    """A tone plus noise, loud enough that some samples pass ±1 (so clipping matters)."""
    rng = np.random.default_rng(seed)
    t = np.arange(round(rate * seconds)) / rate
    return (amplitude * np.sin(2 * np.pi * 440 * t) + 0.3 * rng.normal(size=len(t))).astype(np.float32)


def recipe_audio(name, **changes) -> AudioConfig:
    return dataclasses.replace(DataConfig().with_recipe(name).audio, **changes)


def numpy_log_stft(x, n_fft, hop, offset):
    """librosa.stft's framing written out: reflect-pad n_fft/2, periodic Hann, rfft per frame."""
    padded = np.pad(x.astype(np.float64), n_fft // 2, mode="reflect")
    count = 1 + (len(padded) - n_fft) // hop
    window = scipy.signal.get_window("hann", n_fft)
    frames = np.stack([padded[i * hop : i * hop + n_fft] * window for i in range(count)])
    return np.log(np.abs(np.fft.rfft(frames, axis=1)).T + offset)


def test_small_stays_the_default_with_the_same_cache_keys():
    data = RunConfig().data
    assert data.recipe == "small" and not data.augment and data.window_columns == []
    assert preprocessing_params("audio", data) == {
        "sample_rate": 8000,
        "duration_s": 2.0,
        "n_fft": 254,
        "hop_length": 250,
        "log_offset": 1e-6,
    }
    assert preprocessing_params("video", data) == {"frames": 4, "height": 48, "width": 48}
    assert DataConfig(path="d").with_recipe("small") == DataConfig(path="d")


def test_recipe_parameters_are_part_of_the_cache_key():
    keys = {name: str(preprocessing_params("audio", DataConfig().with_recipe(name))) for name in RECIPES}
    assert len(set(keys.values())) == len(RECIPES.names()) == 5
    changed = DataConfig().with_recipe("kinetics-fbank")
    changed.audio.norm_mean = 0.0
    assert preprocessing_params("audio", changed) != preprocessing_params(
        "audio", DataConfig().with_recipe("kinetics-fbank")
    )


def test_ogm_ge_cremad_is_the_clipped_tiled_log_stft(tmp_path):
    waveform = noisy_tone(22050, 1.3)
    path = write_wav(tmp_path / "a.wav", waveform, 22050)
    out = preprocess_audio(path, recipe_audio("ogm-ge-cremad"))
    assert out.shape == (257, 188)
    expected = np.clip(np.tile(waveform, 3)[: 22050 * 3], -1, 1)
    np.testing.assert_allclose(out, numpy_log_stft(expected, 512, 353, 1e-7), atol=1e-4)


def test_vggsound_caches_10_s_and_feeds_a_5_s_crop(tmp_path):
    waveform = noisy_tone(16000, 4.0)
    path = write_wav(tmp_path / "a.wav", waveform, 16000)
    cfg = recipe_audio("vggsound")
    cached = preprocess_audio(path, cfg)
    tiled = np.clip(np.tile(waveform, 3)[:160000], -1, 1)
    np.testing.assert_allclose(cached, numpy_log_stft(tiled, 256, 128, 1e-7), atol=1e-4)

    transform = InputTransform.from_config(DataConfig().with_recipe("vggsound"), {"audio": "audio"})
    assert transform.audio_crop == 626 and transform.output_shape("audio", cached.shape) == (129, 626)
    centre = transform({"audio": torch.from_numpy(cached[None])})["audio"][0].numpy()
    assert centre.shape == (129, 626)
    start = (1251 - 626) // 2
    np.testing.assert_array_equal(centre, cached[:, start : start + 626])
    # Against the reference's own order (crop the waveform, then transform): every column but the two
    # whose windows reach past the crop, where the reference pads by reflection.
    reference = numpy_log_stft(tiled[start * 128 : start * 128 + 80000], 256, 128, 1e-7)
    assert reference.shape == (129, 626)
    np.testing.assert_allclose(centre[:, 1:-1], reference[:, 1:-1], atol=1e-4)


def test_ave_mcr_is_scipys_log_spectrogram(tmp_path):
    waveform = noisy_tone(16000, 10.0)
    out = preprocess_audio(write_wav(tmp_path / "a.wav", waveform, 16000), recipe_audio("ave-mcr"))
    assert out.shape == (257, 1004)
    _, _, density = scipy.signal.spectrogram(np.clip(waveform, -1, 1), 16000, nperseg=512, noverlap=353)
    np.testing.assert_allclose(out, np.log(np.abs(density) + 1e-7), atol=1e-4)


def test_ave_mcr_uses_the_annotated_window_for_audio_and_frames(tmp_path):
    rate = 16000
    waveform = noisy_tone(rate, 6.0, seed=3)
    rows = []
    for name, start, end in (("a", "2", "4"), ("b", "", ""), ("c", "x", "4")):
        write_wav(tmp_path / f"audio/{name}.wav", waveform, rate)
        write_video(tmp_path / f"video/{name}.mp4", numbered_frames(12, 16, 16), fps=2.0)
        rows.append([name, name, "train", f"audio/{name}.wav", f"video/{name}.mp4", start, end])
    write_manifest(tmp_path, ["id", "label", "split", "audio", "video", "start_s", "end_s"], rows)
    config = DataConfig(path=str(tmp_path)).with_recipe("ave-mcr")
    config.video.height = config.video.width = 16
    data = prepare_dataset(config)
    assert list(data.samples.ids) == ["a", "b"] and data.arrays["audio"].shape[1:] == (257, 1004)
    window = np.clip(np.tile(waveform[2 * rate : 4 * rate], 5), -1, 1)
    _, _, density = scipy.signal.spectrogram(window, rate, nperseg=512, noverlap=353)
    np.testing.assert_allclose(data.arrays["audio"][0], np.log(density + 1e-7), atol=1e-4)
    frames = [[frame_number(f.transpose(1, 2, 0)) for f in clip] for clip in data.arrays["video"]]
    assert frames == [[4, 5, 6, 7], [1, 4, 7, 10]]  # 2-4 s at 2 fps; b has no window: the whole clip
    assert {e.sample_id for e in data.excluded} == {"c"} and "not a window" in data.excluded[0].reason


def test_ave_mcr_without_window_columns_uses_whole_clips(tmp_path):
    write_wav(tmp_path / "audio/a.wav", noisy_tone(16000, 1.0), 16000)
    write_manifest(tmp_path, ["id", "label", "split", "audio"], [["a", "x", "train", "audio/a.wav"]])
    messages = []
    data = prepare_dataset(DataConfig(path=str(tmp_path)).with_recipe("ave-mcr"), log=messages.append)
    assert data.arrays["audio"].shape == (1, 257, 1004)
    assert any("used whole" in m for m in messages)


def kaldi_fbank_loops(x, rate, window, shift, n_mels):
    """Kaldi's compute-fbank-feats, written frame by frame and filter by filter (as its C++ MelBanks)."""
    fft = 1 << int(np.ceil(np.log2(window)))
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(window) / (window - 1))

    def mel(f):
        return 1127.0 * np.log(1.0 + f / 700.0)

    low, high = mel(20.0), mel(rate / 2)
    delta = (high - low) / (n_mels + 1)
    banks = np.zeros((n_mels, fft // 2 + 1))
    for b in range(n_mels):
        left, centre, right = low + b * delta, low + (b + 1) * delta, low + (b + 2) * delta
        for i in range(fft // 2):
            m = mel(i * rate / fft)
            if left < m < right:
                banks[b, i] = (m - left) / (centre - left) if m <= centre else (right - m) / (right - centre)
    out = []
    for start in range(0, len(x) - window + 1, shift):
        frame = x[start : start + window].astype(np.float64)
        frame = frame - frame.mean()
        frame = np.concatenate([[frame[0] - 0.97 * frame[0]], frame[1:] - 0.97 * frame[:-1]])
        power = np.abs(np.fft.rfft(frame * hann, fft)) ** 2
        out.append(np.log(np.maximum(banks @ power, np.finfo(np.float32).eps)))
    return np.array(out)


def test_kinetics_fbank_is_the_padded_normalised_kaldi_fbank(tmp_path):
    waveform = noisy_tone(16000, 3.0, amplitude=0.3) + 0.1  # a DC offset the recipe removes
    out = preprocess_audio(write_wav(tmp_path / "a.wav", waveform, 16000), recipe_audio("kinetics-fbank"))
    assert out.shape == (128, 1024)
    fbank = kaldi_fbank_loops(waveform - waveform.mean(), 16000, 400, 160, 128)
    assert fbank.shape == (298, 128)
    padded = np.zeros((1024, 128))
    padded[:298] = fbank
    np.testing.assert_allclose(out, ((padded + 4.503877) / (2 * 5.141276)).T, atol=1e-4)


@pytest.mark.parametrize("n_mels", [64, 80])
def test_kaldi_fbank_matches_kaldi_native_fbank(n_mels):
    knf = pytest.importorskip("kaldi_native_fbank")
    from core.data.spectral import kaldi_fbank

    waveform = noisy_tone(16000, 1.0, seed=1)
    opts = knf.FbankOptions()
    opts.frame_opts.dither = 0.0
    opts.frame_opts.window_type = "hanning"
    opts.frame_opts.samp_freq = 16000
    opts.mel_opts.num_bins = n_mels
    opts.mel_opts.high_freq = 0.0
    opts.use_energy = False
    online = knf.OnlineFbank(opts)
    online.accept_waveform(16000, waveform.tolist())
    online.input_finished()
    expected = np.stack([online.get_frame(i) for i in range(online.num_frames_ready)])
    np.testing.assert_allclose(kaldi_fbank(waveform, 16000, 400, 160, n_mels), expected, atol=1e-4)


def test_a_config_naming_only_a_recipe_gets_its_settings():
    config = RunConfig.from_toml('[data]\nrecipe = "vggsound"\n\n[data.video]\nframes = 1\n')
    assert (config.data.audio.n_fft, config.data.audio.crop_s, config.data.augment) == (256, 5.0, True)
    assert (config.data.video.frames, config.data.video.height) == (1, 224)
    assert RunConfig.from_toml(config.to_toml()) == config
    with pytest.raises(ConfigError, match="unknown recipe 'nope'; known: ave-mcr, kinetics-fbank"):
        RunConfig.from_toml('[data]\nrecipe = "nope"\n')


def test_set_data_recipe_applies_the_recipe_before_later_assignments():
    config = RunConfig().with_overrides(["data.recipe=ogm-ge-cremad", "data.video.frames=3"])
    assert config.data.recipe == "ogm-ge-cremad" and config.data.audio.sample_rate == 22050
    assert config.data.video.frames == 3


def test_audio_too_short_for_the_transform_is_a_media_error(tmp_path):
    path = write_wav(tmp_path / "a.wav", noisy_tone(16000, 0.01), 16000)  # 160 samples, no tiling
    with pytest.raises(MediaError, match="holds 160 samples, the transform needs at least 400"):
        preprocess_audio(path, recipe_audio("kinetics-fbank"))
