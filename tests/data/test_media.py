import numpy as np
import pytest

import core.data.media as media
from core.data.media import (
    MediaError,
    fit_length,
    frame_positions,
    load_vector,
    load_waveform,
    open_video,
    read_audio,
    read_frames,
    resample,
)
from tests.data.helpers import (
    frame_number,
    numbered_frames,
    spoil_last_frames,
    tone,
    truncate,
    write_numbered_video,
    write_vector,
    write_video,
    write_wav,
)


def test_frame_positions_are_segment_centres():
    assert frame_positions(12, 4).tolist() == [1, 4, 7, 10]
    assert frame_positions(20, 4).tolist() == [2, 7, 12, 17]
    assert frame_positions(2, 4).tolist() == [0, 0, 1, 1]


def test_read_frames_picks_evenly_spaced_frames(tmp_path):
    path = write_numbered_video(tmp_path / "clip.mp4", count=12)
    frames = read_frames(path, 4, 16, 20)
    assert frames.shape == (4, 16, 20, 3) and frames.dtype == np.uint8
    assert [frame_number(f) for f in frames] == [1, 4, 7, 10]


def test_read_frames_returns_rgb(tmp_path):
    blue_in_bgr = np.zeros((32, 32, 3), np.uint8)
    blue_in_bgr[..., 0] = 255
    path = write_video(tmp_path / "blue.mp4", [blue_in_bgr] * 3)
    frame = read_frames(path, 1, 8, 8)[0]
    assert frame[..., 2].mean() > 200 and frame[..., 0].mean() < 40


def test_video_clip_random_access(tmp_path):
    path = write_numbered_video(tmp_path / "clip.mp4", count=12)
    with open_video(path) as clip:
        assert clip.frame_count == 12
        assert clip.fps == pytest.approx(10.0)
        assert clip.duration_s == pytest.approx(1.2)
        assert clip.size == (48, 32)
        order = [11, 3, 4, 5, 0, 9]
        assert [frame_number(clip.read(i)) for i in order] == order
        assert clip.read(0).shape == (32, 48, 3)
        with pytest.raises(IndexError, match="out of range"):
            clip.read(12)


def test_truncated_mp4_is_a_media_error(tmp_path):
    path = truncate(write_numbered_video(tmp_path / "cut.mp4"))
    with pytest.raises(MediaError, match="cut.mp4: .*truncated"):
        read_frames(path, 4, 8, 8)
    with pytest.raises(MediaError):
        open_video(path)


def test_truncated_clip_with_lying_frame_count_decodes_what_it_can(tmp_path):
    path = truncate(write_video(tmp_path / "cut.mkv", numbered_frames(12)), 0.6)
    with open_video(path) as clip:
        decodable = clip.frame_count
        assert 0 < decodable < 12  # the container still claims 12
        assert frame_number(clip.read(decodable - 1)) == decodable - 1
    frames = read_frames(path, 4, 8, 8)
    assert [frame_number(f) for f in frames] == frame_positions(decodable, 4).tolist()


def test_not_a_video_is_a_media_error(tmp_path):
    path = tmp_path / "text.mp4"
    path.write_text("not a video at all")
    with pytest.raises(MediaError, match="text.mp4"):
        read_frames(path, 2, 8, 8)
    with pytest.raises(MediaError, match="file not found"):
        read_frames(tmp_path / "absent.mp4", 2, 8, 8)


def test_read_audio_mixes_channels_to_mono(tmp_path):
    stereo = np.stack([np.full(400, 0.5), np.full(400, -0.1)], axis=1).astype(np.float32)
    waveform, rate = read_audio(write_wav(tmp_path / "s.wav", stereo, 8000))
    assert rate == 8000 and waveform.dtype == np.float32 and waveform.shape == (400,)
    np.testing.assert_allclose(waveform, 0.2, atol=1e-6)


def test_load_waveform_cuts_from_the_start(tmp_path):
    ramp = np.linspace(-1, 1, 8000 * 3, dtype=np.float32)
    out = load_waveform(write_wav(tmp_path / "long.wav", ramp, 8000), 8000, 2.0)
    assert out.shape == (16000,) and out.dtype == np.float32
    np.testing.assert_array_equal(out, ramp[:16000])


def test_load_waveform_tiles_short_audio(tmp_path):
    pattern = np.linspace(0, 0.9, 3000, dtype=np.float32)
    out = load_waveform(write_wav(tmp_path / "short.wav", pattern, 8000), 8000, 1.0)
    assert out.shape == (8000,)
    np.testing.assert_array_equal(out[:3000], pattern)
    np.testing.assert_array_equal(out[3000:6000], pattern)
    np.testing.assert_array_equal(out[6000:], pattern[:2000])


@pytest.mark.parametrize(
    ("source", "target", "duration"), [(44100, 8000, 2.0), (4000, 8000, 1.5), (22050, 16000, 0.3)]
)
def test_load_waveform_resamples_to_exact_length(tmp_path, source, target, duration):
    path = write_wav(tmp_path / "t.wav", tone(440.0, source, 1.0), source)
    assert load_waveform(path, target, duration).shape == (round(target * duration),)


def _power_at(signal: np.ndarray, rate: int, freq: float) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(spectrum[round(freq * len(signal) / rate)])


def test_resample_keeps_in_band_tones_and_removes_aliases():
    kept = resample(tone(1000.0, 44100, 1.0), 44100, 8000)
    assert kept.shape == (8000,)
    assert _power_at(kept, 8000, 1000.0) == pytest.approx(
        _power_at(tone(1000.0, 8000, 1.0), 8000, 1000.0), rel=0.02
    )

    above_nyquist = resample(tone(6000.0, 44100, 1.0), 44100, 8000)  # would alias to 2 kHz
    assert np.abs(above_nyquist[200:-200]).max() < 0.01

    up = resample(tone(300.0, 4000, 1.0), 4000, 8000)
    np.testing.assert_allclose(up[100:-100], tone(300.0, 8000, 1.0)[100:-100], atol=2e-3)


def test_fit_length():
    np.testing.assert_array_equal(fit_length(np.array([1, 2, 3], np.float32), 7), [1, 2, 3, 1, 2, 3, 1])
    np.testing.assert_array_equal(fit_length(np.array([1, 2, 3], np.float32), 2), [1, 2])


def test_empty_and_sample_less_audio_are_media_errors(tmp_path):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(MediaError, match="empty.wav: cannot decode audio"):
        read_audio(empty)
    silent = write_wav(tmp_path / "none.wav", np.zeros((0, 2), np.float32), 8000)
    with pytest.raises(MediaError, match="holds no samples"):
        load_waveform(silent, 8000, 1.0)


def test_load_vector(tmp_path):
    vector = load_vector(write_vector(tmp_path / "v.npy", np.arange(4, dtype=np.int16)))
    assert vector.dtype == np.float32 and vector.tolist() == [0, 1, 2, 3]
    assert load_vector(write_vector(tmp_path / "m.npy", np.ones((2, 3)))).shape == (6,)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (np.array(["a", "b"]), "expected numbers"),
        (np.array([1.0, np.nan]), "NaN or infinite"),
        (np.array([1e300]), "NaN or infinite"),
        (np.array([], np.float32), "empty array"),
        (np.array([{"a": 1}], dtype=object), "not a readable .npy array"),
    ],
)
def test_bad_vectors_are_media_errors(tmp_path, values, message):
    path = tmp_path / "bad.npy"
    np.save(path, values, allow_pickle=True)
    with pytest.raises(MediaError, match=message):
        load_vector(path)


def test_clip_without_timestamps_is_read_by_counting_frames(tmp_path, monkeypatch):
    path = write_numbered_video(tmp_path / "clip.mp4", count=12)
    monkeypatch.setattr(media, "_frame_timestamps", lambda container, stream, path: None)
    with open_video(path) as clip:
        assert clip.frame_count == 12
        assert [frame_number(clip.read(i)) for i in (7, 2, 11)] == [7, 2, 11]
    assert [frame_number(f) for f in read_frames(path, 4, 8, 8)] == [1, 4, 7, 10]


def test_the_frame_decoded_while_opening_is_not_decoded_again(tmp_path, monkeypatch):
    path = write_numbered_video(tmp_path / "clip.mp4", count=12)
    with open_video(path) as clip:
        decoded = []
        original = clip._reader.frame
        monkeypatch.setattr(clip._reader, "frame", lambda i: decoded.append(i) or original(i))
        first = clip.read(0)
        assert frame_number(first) == 0 and decoded == []  # the player's first frame comes at once
        again = clip.read(0)
        assert decoded == [0] and np.array_equal(again, first) and again is not first  # later reads decode


def test_a_clip_opened_without_its_length_check_decodes_only_its_first_frame(tmp_path, monkeypatch):
    path = write_numbered_video(tmp_path / "clip.mp4", count=12)
    decoded = []
    original = media._FrameReader.frame
    monkeypatch.setattr(media._FrameReader, "frame", lambda self, i: decoded.append(i) or original(self, i))
    with open_video(path, check_length=False) as clip:
        assert decoded == [0] and not clip.length_checked and clip.frame_count == 12
        assert clip.check_length() == 12 and decoded == [0, 11] and clip.length_checked
    decoded.clear()
    with open_video(path):
        assert decoded == [11, 0]  # checked first, by default


def test_an_unchecked_clip_claims_its_container_length_until_checked(tmp_path):
    path = spoil_last_frames(write_video(tmp_path / "spoilt.mkv", numbered_frames(12)), 4)
    with open_video(path, check_length=False) as clip:
        assert clip.frame_count == 12 and frame_number(clip.read(0)) == 0
        with pytest.raises(MediaError, match="frame 11 could not be decoded"):
            clip.read(11)
        assert clip.check_length() == 8 and clip.frame_count == 8
        assert frame_number(clip.read(7)) == 7
    with open_video(path) as clip:
        assert clip.frame_count == 8
