"""Decoding through PyAV: audio streams inside video containers and in any audio format, frames of any
container, clear per-file errors, and no FFmpeg log output."""

import contextlib

import av.logging
import numpy as np
import pytest
import soundfile

from core.config import AudioConfig, DataConfig, VideoConfig
from core.data.kinds.audio_decoder import preprocess_audio
from core.data.manifest import load_manifest
from core.data.media import MediaError, open_video, read_audio, read_frames
from core.data.prepare import prepare_dataset
from tests.data.av_clips import write_clip
from tests.data.helpers import frame_number, tone, write_manifest

RATE = 16000


def _signal(seconds: float = 1.0) -> np.ndarray:
    t = np.arange(round(RATE * seconds)) / RATE
    return (0.4 * np.sin(2 * np.pi * 440 * t) + 0.2 * np.sin(2 * np.pi * 1234 * t) * (t > 0.3)).astype(
        np.float32
    )


def _aligned_correlation(decoded: np.ndarray, original: np.ndarray, max_lag: int = 4096) -> float:
    """The highest correlation of ``original`` with ``decoded`` shifted by 0..max_lag samples."""
    best = -1.0
    for lag in range(0, max_lag + 1):
        part = decoded[lag : lag + len(original)]
        if len(part) < len(original):
            break
        best = max(best, float(np.corrcoef(part, original)[0, 1]))
    return best


@pytest.mark.parametrize("name", ["clip.mp4", "clip.flv", "sound.m4a"])
def test_aac_audio_inside_a_container_matches_the_wav_it_was_encoded_from(tmp_path, name):
    original = _signal()
    soundfile.write(str(tmp_path / "original.wav"), original, RATE, subtype="FLOAT")
    path = write_clip(tmp_path / name, audio=original, rate=RATE, video=not name.endswith(".m4a"))
    decoded, rate = read_audio(path)
    wav, wav_rate = read_audio(tmp_path / "original.wav")
    assert rate == wav_rate == RATE and decoded.dtype == np.float32
    assert len(decoded) >= len(original)  # the encoder pads, never drops
    assert _aligned_correlation(decoded, wav) >= 0.99


def test_pcm_audio_inside_mkv_is_exact(tmp_path):
    samples = np.round(_signal() * 32767).astype(np.int16)
    soundfile.write(str(tmp_path / "pcm.wav"), samples, RATE, subtype="PCM_16")
    path = write_clip(tmp_path / "clip.mkv", audio=samples / 32767.0, rate=RATE)
    decoded, rate = read_audio(path)
    assert rate == RATE
    np.testing.assert_array_equal(decoded, samples.astype(np.float32) / 32768)
    np.testing.assert_array_equal(decoded, read_audio(tmp_path / "pcm.wav")[0])


@pytest.mark.parametrize(
    ("name", "codec"), [("s.mp3", "libmp3lame"), ("s.opus", "libopus"), ("s.flac", "flac")]
)
def test_standalone_audio_formats_decode_with_their_rate_and_content(tmp_path, name, codec):
    rate = 48000 if codec == "libopus" else RATE
    path = write_clip(
        tmp_path / name, audio=tone(1000.0, rate, 1.0), rate=rate, audio_codec=codec, video=False
    )
    decoded, got_rate = read_audio(path)
    assert got_rate == rate and len(decoded) >= 0.9 * rate
    spectrum = np.abs(np.fft.rfft(decoded[: rate // 2]))
    assert np.argmax(spectrum) * 2 == pytest.approx(1000, abs=4)  # 2 Hz bins over half a second


def test_missing_empty_and_corrupt_audio_streams_are_clear_errors(tmp_path):
    with pytest.raises(MediaError, match="silent.avi: the file has no audio stream"):
        read_audio(write_clip(tmp_path / "silent.avi"))

    import av

    with av.open(str(tmp_path / "empty.mkv"), "w") as container:  # an audio stream with no packet
        sound = container.add_stream("pcm_s16le", rate=RATE)
        sound.layout = "mono"
        video = container.add_stream("mjpeg", rate=8)
        video.width = video.height = 16
        video.pix_fmt = "yuvj420p"
        container.mux(
            video.encode(av.VideoFrame.from_ndarray(np.zeros((16, 16, 3), np.uint8), format="rgb24"))
        )
        container.mux(video.encode())
    with pytest.raises(MediaError, match="empty.mkv: the audio stream holds no samples"):
        read_audio(tmp_path / "empty.mkv")

    path = write_clip(tmp_path / "bad.m4a", audio=_signal(0.5), rate=RATE, video=False)
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + 8
    data[start : start + 3000] = np.random.default_rng(0).integers(0, 256, 3000, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    with pytest.raises(MediaError, match="bad.m4a: undecodable audio packet"):
        read_audio(path)


def test_ffmpeg_log_output_never_reaches_the_terminal(tmp_path, capfd):
    path = write_clip(tmp_path / "bad.mp4", audio=_signal(), rate=RATE)
    data = bytearray(path.read_bytes())
    start = data.find(b"mdat") + 8
    data[start : start + 2000] = bytes(2000)
    path.write_bytes(bytes(data))
    for reader in (read_audio, lambda p: read_frames(p, 4, 8, 8)):
        with contextlib.suppress(MediaError):
            reader(path)
    assert av.logging.get_level() is None
    assert capfd.readouterr().err == ""


@pytest.mark.parametrize("name", ["c.mp4", "c.flv", "c.mkv", "c.avi", "c.webm"])
def test_frames_of_every_container_by_random_access(tmp_path, name):
    path = write_clip(tmp_path / name, frames=12, fps=10)
    with open_video(path) as clip:
        assert clip.frame_count == 12 and clip.fps == pytest.approx(10.0) and clip.size == (32, 32)
        order = [11, 3, 4, 0, 9, 10, 1]
        assert [frame_number(clip.read(i)) for i in order] == order
    assert [frame_number(f) for f in read_frames(path, 4, 8, 8)] == [1, 4, 7, 10]


def test_seeking_is_frame_accurate_across_many_keyframes(tmp_path):
    path = write_clip(tmp_path / "long.mp4", frames=60, fps=25, step=4, keyframe_every=8)
    with open_video(path) as clip:
        assert clip.frame_count == 60
        order = [59, 0, 33, 8, 7, 9, 40, 41, 17, 58, 1, 30]
        assert [round(float(clip.read(i).mean()) / 4) for i in order] == order
    frames = read_frames(path, 5, 8, 8)
    assert [round(float(f.mean()) / 4) for f in frames] == [6, 18, 30, 42, 54]


def _audio_from_video_dataset(tmp_path, header_name: str):
    rows = []
    for i in range(2):
        samples = np.round(tone(300.0 * (i + 1), RATE, 1.0) * 32767) / 32767
        write_clip(tmp_path / f"clip{i}.mkv", audio=samples.astype(np.float32), rate=RATE)
        rows.append([f"s{i}", "ab"[i], "train", f"clip{i}.mkv", f"clip{i}.mkv"])
    write_manifest(tmp_path, ["id", "label", "split", "video", header_name], rows)


def test_an_audio_column_of_video_files_declared_in_dataset_toml(tmp_path):
    _audio_from_video_dataset(tmp_path, "sound")
    assert load_manifest(tmp_path).samples.modality_kinds == {"video": "video", "sound": "video"}
    (tmp_path / "dataset.toml").write_text('[kinds]\nsound = "audio"\n')
    assert load_manifest(tmp_path).samples.modality_kinds == {"video": "video", "sound": "audio"}

    config = DataConfig(
        path=str(tmp_path), video=VideoConfig(frames=2, height=8, width=8), audio=AudioConfig(duration_s=0.5)
    )
    data = prepare_dataset(config)
    assert data.arrays["sound"].shape[0] == 2 and not data.excluded
    np.testing.assert_array_equal(
        data.arrays["sound"][1], preprocess_audio(tmp_path / "clip1.mkv", config.audio)
    )
    soundfile.write(str(tmp_path / "pcm.wav"), read_audio(tmp_path / "clip1.mkv")[0], RATE, subtype="FLOAT")
    np.testing.assert_array_equal(
        data.arrays["sound"][1], preprocess_audio(tmp_path / "pcm.wav", config.audio)
    )


def test_a_column_named_audio_holding_videos_is_an_audio_column(tmp_path):
    _audio_from_video_dataset(tmp_path, "audio")
    assert load_manifest(tmp_path).samples.modality_kinds == {"video": "video", "audio": "audio"}


def test_dataset_toml_naming_an_unknown_column_is_a_clear_error(tmp_path):
    _audio_from_video_dataset(tmp_path, "audio")
    (tmp_path / "dataset.toml").write_text('[kinds]\nsoundtrack = "audio"\n')
    with pytest.raises(ValueError, match="'soundtrack', not a media column"):
        load_manifest(tmp_path)


def test_a_time_window_selects_frames_and_samples(tmp_path):
    samples = np.round(np.linspace(-0.5, 0.5, 2 * RATE) * 32767) / 32767
    path = write_clip(tmp_path / "c.mkv", frames=12, fps=5, audio=samples.astype(np.float32), rate=RATE)
    frames = read_frames(path, 3, 8, 8, window=(1.0, 2.2))  # frames 5..10 are shown in that span
    assert [frame_number(f) for f in frames] == [6, 8, 10]
    whole, _ = read_audio(path)
    part, _ = read_audio(path, window=(0.25, 0.5))
    np.testing.assert_array_equal(part, whole[4000:8000])
    with pytest.raises(MediaError, match="the window 3-4 s holds no frame"):
        read_frames(path, 2, 8, 8, window=(3.0, 4.0))
    with pytest.raises(MediaError, match="the window 3-4 s holds no audio sample"):
        read_audio(path, window=(3.0, 4.0))


def test_a_video_without_audio_in_an_audio_column_is_one_excluded_sample(tmp_path):
    _audio_from_video_dataset(tmp_path, "audio")
    write_clip(tmp_path / "mute.mkv")
    rows = (tmp_path / "manifest.csv").read_text().splitlines()
    (tmp_path / "manifest.csv").write_text("\n".join([*rows, "s2,a,train,mute.mkv,mute.mkv"]) + "\n")
    config = DataConfig(
        path=str(tmp_path), video=VideoConfig(frames=2, height=8, width=8), audio=AudioConfig(duration_s=0.5)
    )
    data = prepare_dataset(config)
    assert list(data.samples.ids) == ["s0", "s1"]
    [problem] = data.excluded
    assert (problem.sample_id, problem.column, problem.file) == ("s2", "audio", "mute.mkv")
    assert problem.reason == "the file has no audio stream"
