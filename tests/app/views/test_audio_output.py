import numpy as np
import pytest

from app.views.audio_output import NO_DEVICE, AudioOutput, encode_pcm, output_available
from app.views.playback_clock import PlaybackClock


def test_encode_pcm_int16_interleaves_channels_and_clips():
    pcm = encode_pcm(np.array([0.0, 0.5, -1.0, 2.0], np.float32), 8000, 8000, 2, np.int16)
    samples = np.frombuffer(pcm, np.int16).reshape(-1, 2)
    assert samples[:, 0].tolist() == samples[:, 1].tolist() == [0, 16384, -32767, 32767]


def test_encode_pcm_other_formats_and_rates():
    wave = np.sin(np.linspace(0, 20, 800)).astype(np.float32)
    floats = np.frombuffer(encode_pcm(wave, 8000, 16000, 1, np.float32), np.float32)
    assert len(floats) == 1600 and np.abs(floats).max() <= 1.0
    bytes_ = np.frombuffer(encode_pcm(np.array([-1.0, 0.0, 1.0]), 8000, 8000, 1, np.uint8), np.uint8)
    assert bytes_.tolist() == [1, 128, 255]


def test_no_device_gives_a_reason_instead_of_sound(qtbot):
    if output_available():
        pytest.skip("this machine has an audio output device")
    output = AudioOutput()
    assert output.start(0.0) == "no sound to play"
    output.set_waveform(np.zeros(800, np.float32), 8000)
    assert output.start(0.0) == NO_DEVICE
    assert not output.playing


def test_clock_runs_from_a_position_and_stops(qtbot):
    clock = PlaybackClock()
    clock.start(2.0)
    assert clock.running
    with qtbot.waitSignal(clock.ticked, timeout=30_000) as tick:
        pass
    assert tick.args[0] >= 2.0
    stopped = clock.stop()
    assert not clock.running and stopped >= 2.0 and clock.position_s == stopped
