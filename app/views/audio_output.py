"""Sound for the player through QtMultimedia, with a clear reason whenever there can be none.

The player's clock never depends on the sound card: :class:`AudioOutput` only follows the clock, so a
machine without an audio device (or one whose device fails to open) plays silently instead of hanging.
"""

from __future__ import annotations

import numpy as np
from PySide6 import QtMultimedia
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, Signal
from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

from core.data import resample

# QAudioSink's error() and state() return the QtAudio enums where the bindings have that namespace (recent
# PySide6; they do not compare equal to the QAudio ones there) and the QAudio enums in older bindings.
QtAudio = getattr(QtMultimedia, "QtAudio", QtMultimedia.QAudio)

NO_DEVICE = "no audio output"
_FATAL = (QtAudio.Error.OpenError, QtAudio.Error.IOError, QtAudio.Error.FatalError)
_ERROR_TEXT = {
    QtAudio.Error.OpenError: "the audio device could not be opened",
    QtAudio.Error.IOError: "writing to the audio device failed",
    QtAudio.Error.FatalError: "the audio device stopped working",
}
_SAMPLE_TYPES = {
    QAudioFormat.SampleFormat.UInt8: np.uint8,
    QAudioFormat.SampleFormat.Int16: np.int16,
    QAudioFormat.SampleFormat.Int32: np.int32,
    QAudioFormat.SampleFormat.Float: np.float32,
}


def encode_pcm(waveform: np.ndarray, source_rate: int, target_rate: int, channels: int, sample_type: type) -> bytes:
    """Interleaved PCM bytes of a mono float waveform (values in [-1, 1]) for an output format."""
    signal = np.clip(np.asarray(waveform, np.float32), -1.0, 1.0)
    if target_rate != source_rate:
        signal = np.clip(resample(signal, source_rate, target_rate), -1.0, 1.0)
    if sample_type is np.float32:
        samples = signal
    elif sample_type is np.uint8:
        samples = np.round(signal * 127.0 + 128.0).astype(np.uint8)
    else:
        samples = np.round(signal * float(np.iinfo(sample_type).max)).astype(sample_type)
    return np.repeat(samples[:, None], channels, axis=1).tobytes()


def output_available() -> bool:
    """Whether the system has a default audio output device."""
    return not QMediaDevices.defaultAudioOutput().isNull()


class AudioOutput(QObject):
    """Plays a mono waveform from an offset on the default audio device.

    ``set_waveform`` gives the sound to play (None: nothing); ``start`` returns None when sound is playing, else the reason there is none (``NO_DEVICE`` when the
    system has no output device). ``failed`` fires if the device fails later on.
    """

    failed = Signal(str)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sink: QAudioSink | None = None
        self._buffer: QBuffer | None = None
        self._data = QByteArray()
        self._waveform: np.ndarray | None = None
        self._rate = 0
        self._pcm: bytes | None = None  # the waveform encoded for the device, made on first start
        self._format = QAudioFormat()

    def set_waveform(self, waveform: np.ndarray | None, sample_rate: int = 0) -> None:
        self.stop()
        self._waveform, self._rate, self._pcm = waveform, sample_rate, None

    def start(self, offset_s: float) -> str | None:
        self.stop()
        if self._waveform is None:
            return "no sound to play"
        device = QMediaDevices.defaultAudioOutput()
        if device.isNull():
            return NO_DEVICE
        if self._pcm is None:
            self._format = self._choose_format(device, self._rate)
            if self._format.sampleFormat() not in _SAMPLE_TYPES:
                return "the audio device offers no usable sample format"
            sample_type = _SAMPLE_TYPES[self._format.sampleFormat()]
            channels = self._format.channelCount()
            self._pcm = encode_pcm(self._waveform, self._rate, self._format.sampleRate(), channels, sample_type)
        frame_bytes = self._format.bytesPerFrame()
        offset = min(int(offset_s * self._format.sampleRate()) * frame_bytes, len(self._pcm))
        self._data = QByteArray(self._pcm[offset:])
        self._buffer = QBuffer(self._data, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self._sink = QAudioSink(device, self._format, self)
        self._sink.stateChanged.connect(self._state_changed)
        self._sink.start(self._buffer)
        error = self._sink.error()
        if error in _FATAL:
            self.stop()
            return _ERROR_TEXT[error]
        return None

    def stop(self) -> None:
        if self._sink is not None:
            self._sink.stateChanged.disconnect(self._state_changed)
            self._sink.stop()
            self._sink.deleteLater()
            self._sink = None
        if self._buffer is not None:
            self._buffer.close()
            self._buffer.deleteLater()
            self._buffer = None

    @property
    def playing(self) -> bool:
        return self._sink is not None and self._sink.state() == QtAudio.State.ActiveState

    def _state_changed(self, _state: object) -> None:
        if self._sink is not None and self._sink.error() in _FATAL:
            reason = _ERROR_TEXT[self._sink.error()]
            self.stop()
            self.failed.emit(reason)

    @staticmethod
    def _choose_format(device, sample_rate: int) -> QAudioFormat:
        wanted = QAudioFormat()
        wanted.setSampleRate(sample_rate)
        wanted.setChannelCount(1)
        wanted.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        return wanted if device.isFormatSupported(wanted) else device.preferredFormat()
