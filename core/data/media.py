"""Decoding media files: video frames and audio streams with PyAV (FFmpeg), feature vectors with numpy.

Audio is read from any file FFmpeg can demux: standalone audio (wav, flac, mp3, m4a/aac, ogg, opus, ...)
or the audio stream inside a video container (mp4, mkv, flv, avi, webm, ...). Video frames are addressed
by index in presentation order; an index is mapped to its timestamp from the container's packets, so a
frame far away is reached by seeking to the keyframe before it and decoding forward (accurate seeking).

Used for training preprocessing and by the app's player. Every decoding failure raises ``MediaError``
naming the file and the reason. FFmpeg's own log output is switched off (``av.logging``): the reasons
reach the user through ``MediaError`` only.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.logging
import numpy as np

av.logging.set_level(None)  # FFmpeg's messages never reach the terminal

DEFAULT_FPS = 25.0
_SEEK_GAP = 16  # without keyframe positions: decode forward when the wanted frame is at most this far ahead
_SEEK_COST = 4  # a seek costs about as much as decoding this many frames
_SINC_ZERO_CROSSINGS = 16  # half-width of the resampling kernel, in zero crossings of its cut-off
_RESAMPLE_CHUNK = 1 << 21  # output samples × kernel taps computed at once
DECODE_MARGIN_S = 0.25
"""Audio decoded beyond the last second used: room for the resampling kernel at any target rate >= 64 Hz."""


class MediaError(ValueError):
    """A media file cannot be decoded; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class _FrameReader:
    """Decoded ``av.VideoFrame`` objects of one video stream, addressed by 0-based index.

    ``timestamps`` are the frames' presentation timestamps in order (from the packets, without
    decoding), or None when the container gives none; then frames are counted from the start and a
    backward step re-decodes from the beginning.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._container = _open_container(path, "cannot open the video")
        try:
            if not self._container.streams.video:
                raise MediaError(path, _missing_stream(self._container, "video"))
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
            stamps = _frame_timestamps(self._container, self._stream, path)
            self.timestamps: list[int] | None = stamps[0] if stamps is not None else None
            keyframes = stamps[1] if stamps is not None else []
            self.frame_count = len(self.timestamps) if self.timestamps is not None else _count_frames(path)
        except BaseException:
            self._container.close()
            raise
        self._keyframe_stamps = set(keyframes)
        self._reindex()
        self._reformatter = av.video.reformatter.VideoReformatter()  # keeps its scaler between frames
        self._frames: Iterator[av.VideoFrame] | None = None
        self._position = -1  # index of the frame the decoder returned last
        self._seekable = True

    @property
    def fps(self) -> float:
        rate = self._stream.average_rate or self._stream.guessed_rate
        fps = float(rate) if rate else 0.0
        return fps if math.isfinite(fps) and fps > 0 else DEFAULT_FPS

    def frame(self, index: int) -> av.VideoFrame | None:
        """Frame ``index``, or None when it cannot be decoded (corrupt packet, clip ends early)."""
        if self._frames is not None and self._position < index and not self._seek_pays(index):
            return self._decode_to(index)
        back = 0
        while True:  # a seek can land on a keyframe shown after the target: seek further back
            start = max(0, index - back)
            self._seek(start)
            frame = self._decode_to(index)
            if frame is not None or self._position <= index or start == 0:
                return frame
            back = 2 * back + 1

    def resized(self, frame: av.VideoFrame, width: int, height: int) -> np.ndarray:
        """``frame`` as RGB ``uint8 [height, width, 3]``, scaled with area interpolation."""
        rgb = self._reformatter.reformat(frame, width=width, height=height, format="rgb24", interpolation="AREA")
        return rgb.to_ndarray()

    def _seek_pays(self, index: int) -> bool:
        """Whether seeking beats decoding forward from the current position to frame ``index``: when the
        last keyframe before it lies more than ``_SEEK_COST`` frames ahead (keyframes unknown: when
        ``index`` is more than ``_SEEK_GAP`` frames ahead)."""
        if not self._keyframes:
            return index > self._position + _SEEK_GAP
        keyframe = self._keyframes[bisect.bisect_right(self._keyframes, index) - 1]
        return keyframe > self._position + _SEEK_COST

    def _decode_to(self, index: int) -> av.VideoFrame | None:
        assert self._frames is not None, "decoding before a seek"
        try:
            for frame in self._frames:
                self._position = self._frame_index(frame)
                if self._position >= index:
                    return frame if self._position == index else None
        except (av.error.FFmpegError, OSError):
            pass
        self._frames, self._position = None, -1
        return None

    def count_decodable(self) -> int:
        """Decode the whole stream once; keep only the frames that decode and return how many."""
        frames = self._seek(0)
        decoded: list[int] = []
        try:
            for frame in frames:
                decoded.append(frame.pts if frame.pts is not None else len(decoded))
        except (av.error.FFmpegError, OSError):
            pass
        self._frames, self._position = None, -1
        if self.timestamps is not None:
            self.timestamps = sorted(set(decoded) & set(self._index))
            self._reindex()
        self.frame_count = len(self.timestamps) if self.timestamps is not None else len(decoded)
        return self.frame_count

    def close(self) -> None:
        self._container.close()

    def _reindex(self) -> None:
        self._index = {t: i for i, t in enumerate(self.timestamps or [])}
        self._keyframes = sorted(self._index[t] for t in self._keyframe_stamps if t in self._index)

    def _seek(self, index: int) -> Iterator[av.VideoFrame]:
        """Point the decoder at frame ``index`` (or the keyframe before it); returns its frames."""
        self._position = -1
        try:
            if index == 0 or self.timestamps is None or not self._seekable:
                self._container.seek(0)
            else:
                self._container.seek(self.timestamps[index], backward=True, stream=self._stream)
        except (av.error.FFmpegError, OSError):  # e.g. flv without an index: start again from the top
            self._seekable = False
            self._container.close()
            self._container = _open_container(self.path, "cannot open the video")
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"
        self._frames = self._container.decode(self._stream)
        return self._frames

    def _frame_index(self, frame: av.VideoFrame) -> int:
        if self.timestamps is None or frame.pts is None:
            return self._position + 1
        index = self._index.get(frame.pts)
        return index if index is not None else bisect.bisect_left(self.timestamps, frame.pts)


class VideoClip:
    """An open video file giving random access to its frames as RGB ``uint8 [H, W, 3]`` arrays.

    ``fps`` falls back to ``DEFAULT_FPS`` when the container reports none. ``frame_count`` is the number
    of decodable frames: the number of frames the container holds when its last frame decodes, else
    counted by decoding. Checking that costs a decode of the clip's last group of pictures (the whole
    clip when it has one keyframe); ``check_length=False`` leaves it to ``check_length()``, and until then
    ``frame_count`` is what the container claims (``length_checked`` says which). ``size`` is
    ``(width, height)``. Use as a context manager, or call ``close``.
    """

    def __init__(self, path: str | Path, check_length: bool = True) -> None:
        self.path = Path(path)
        self._reader = _FrameReader(self.path)
        self._opened_frame: np.ndarray | None = None  # decoded while opening: a first read of frame 0 gets it
        self.length_checked = False
        try:
            self.fps = self._reader.fps
            self.frame_count = self._reader.frame_count
            first = None if check_length else self._reader.frame(0)
            if first is None:  # checking now, or a first frame that fails: which frames decode?
                if self.check_length() == 0:
                    raise MediaError(self.path, "the video has no decodable frame")
                first = self._reader.frame(0)
            if first is None:
                raise MediaError(self.path, "frame 0 could not be decoded")
            self._opened_frame = first.to_ndarray(format="rgb24")
        except BaseException:
            self.close()
            raise
        self.height, self.width = self._opened_frame.shape[:2]

    def check_length(self) -> int:
        """Make ``frame_count`` the number of decodable frames (see the class) and return it."""
        if not self.length_checked:
            reader = self._reader
            if reader.frame_count and reader.frame(reader.frame_count - 1) is None:
                reader.count_decodable()
            self.frame_count = reader.frame_count
            self.length_checked = True
        return self.frame_count

    @property
    def duration_s(self) -> float:
        return self.frame_count / self.fps

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) as RGB ``uint8 [H, W, 3]``."""
        if not 0 <= index < self.frame_count:
            raise IndexError(f"{self.path}: frame {index} out of range (the clip has {self.frame_count})")
        opened, self._opened_frame = self._opened_frame, None
        if index == 0 and opened is not None:
            return opened
        frame = self._reader.frame(index)
        if frame is None:
            raise MediaError(self.path, f"frame {index} could not be decoded")
        return frame.to_ndarray(format="rgb24")

    def close(self) -> None:
        self._reader.close()

    def __enter__(self) -> VideoClip:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def open_video(path: str | Path, check_length: bool = True) -> VideoClip:
    """Open a video for frame access (see ``VideoClip``); raises ``MediaError`` if it cannot be decoded."""
    return VideoClip(path, check_length)


def frame_positions(frame_count: int, count: int) -> np.ndarray:
    """Indices of ``count`` frames evenly spaced over ``frame_count``: the centres of equal segments."""
    return ((np.arange(count) + 0.5) * frame_count / count).astype(np.int64)


def read_frames(
    path: str | Path, count: int, height: int, width: int, window: tuple[float, float] | None = None
) -> np.ndarray:
    """``count`` frames evenly spaced over the clip (see ``frame_positions``), RGB ``uint8 [T, H, W, 3]``.

    Frames are resized with area interpolation. ``window = (start_s, end_s)`` spaces them over the
    frames shown in that time span instead (frame i is shown at i / fps). When the clip holds fewer
    decodable frames than its container claims (a truncated file), the positions are spaced over the
    frames that do decode; a clip with no decodable frame raises ``MediaError``.
    """
    if count < 1 or height < 1 or width < 1:
        raise ValueError(f"read_frames needs count, height and width >= 1, got {count}, {height}, {width}")
    path = Path(path)
    reader = _FrameReader(path)
    try:
        frames = _read_positions(reader, _window_positions(reader, count, window), height, width)
        if frames is None:
            if reader.count_decodable() == 0:
                raise MediaError(path, "the video has no decodable frame (file truncated or corrupt?)")
            frames = _read_positions(reader, _window_positions(reader, count, window), height, width)
            if frames is None:
                raise MediaError(path, "frames that decoded once could not be decoded again")
    finally:
        reader.close()
    return np.stack(frames)


def has_audio_stream(path: str | Path) -> bool:
    """Whether the file holds an audio stream (read from the container header, nothing decoded)."""
    path = Path(path)
    container = _open_container(path, "cannot open the file")
    try:
        return bool(container.streams.audio)
    finally:
        container.close()


def read_audio(
    path: str | Path, window: tuple[float, float] | None = None, max_s: float | None = None
) -> tuple[np.ndarray, int]:
    """The first audio stream of the file as a mono ``float32`` waveform (channels averaged) and its rate.

    The file may be an audio file or a video container with an audio stream; ``window = (start_s,
    end_s)`` keeps the samples of that time span. ``max_s``: decoding stops once that many seconds
    (from the start of the file) are decoded, so a 3-hour file costs no more than the seconds used. A
    file without an audio stream, a stream (or window) without samples and a packet that does not
    decode raise ``MediaError``.
    """
    path = Path(path)
    container = _open_container(path, "cannot decode audio")
    try:
        if not container.streams.audio:
            raise MediaError(path, _missing_stream(container, "audio"))
        stream = container.streams.audio[0]
        chunks, rate = _decode_audio(container, stream, path, max_s)
    finally:
        container.close()
    if not chunks:
        raise MediaError(path, "the audio stream holds no samples")
    mono = np.concatenate(chunks)
    if window is not None:
        start, end = window
        mono = mono[max(0, round(start * rate)) : max(0, round(end * rate))]
        if len(mono) == 0:
            raise MediaError(path, f"the window {start:g}-{end:g} s holds no audio sample")
    if not np.isfinite(mono).all():
        raise MediaError(path, "the audio holds NaN or infinite samples")
    return mono, rate


def load_waveform(
    path: str | Path, sample_rate: int, duration_s: float, window: tuple[float, float] | None = None
) -> np.ndarray:
    """Mono ``float32 [round(sample_rate * duration_s)]``: resampled (see ``resample``), then repeated
    end to end if shorter or cut from the start if longer. ``window``: as in ``read_audio``."""
    length = round(sample_rate * duration_s)
    if sample_rate < 1 or length < 1:
        raise ValueError(f"sample_rate {sample_rate} and duration_s {duration_s} give no samples")
    waveform, rate = read_audio(path, window, (window[0] if window else 0.0) + duration_s + DECODE_MARGIN_S)
    needed = math.ceil(length * rate / sample_rate) + _kernel_half_width(rate, sample_rate) + 2
    waveform = resample(waveform[:needed], rate, sample_rate)
    return fit_length(waveform, length)


def resample(waveform: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Band-limited resampling of a 1-D signal by Hann-windowed sinc interpolation.

    Each output sample is a weighted sum of the 2 × ``_SINC_ZERO_CROSSINGS`` / cut-off nearest input
    samples; when downsampling the cut-off is lowered to the target's Nyquist frequency so that content
    above it is removed instead of aliased. Samples beyond the edges repeat the edge value.
    """
    waveform = np.asarray(waveform, dtype=np.float32)
    if source_rate == target_rate:
        return waveform.copy()
    ratio = target_rate / source_rate
    cutoff = min(1.0, ratio)
    half = _kernel_half_width(source_rate, target_rate)
    offsets = np.arange(-half + 1, half + 1)
    out_length = max(1, round(len(waveform) * ratio))
    output = np.empty(out_length, dtype=np.float32)
    chunk = max(1, _RESAMPLE_CHUNK // len(offsets))
    for start in range(0, out_length, chunk):
        times = np.arange(start, min(start + chunk, out_length)) / ratio
        taps = np.floor(times).astype(np.int64)[:, None] + offsets
        distance = times[:, None] - taps
        window = 0.5 * (1.0 + np.cos(np.pi * np.clip(distance / half, -1.0, 1.0)))
        weights = (cutoff * np.sinc(cutoff * distance) * window).astype(np.float32)
        samples = waveform[np.clip(taps, 0, len(waveform) - 1)]
        output[start : start + len(times)] = np.einsum("ij,ij->i", samples, weights)
    return output


def fit_length(waveform: np.ndarray, length: int) -> np.ndarray:
    """Cut ``waveform`` to ``length`` samples, or repeat it end to end until it is that long."""
    if len(waveform) == 0:
        raise ValueError("cannot fit an empty waveform to a length")
    if len(waveform) < length:
        waveform = np.tile(waveform, math.ceil(length / len(waveform)))
    return np.ascontiguousarray(waveform[:length], dtype=np.float32)


def load_vector(path: str | Path) -> np.ndarray:
    """A ``.npy`` array of numbers as ``float32 [D]`` (arrays of 2 or more dimensions are flattened)."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(path, "file not found")
    try:
        array = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise MediaError(path, f"not a readable .npy array ({exc})") from None
    if not isinstance(array, np.ndarray):
        if hasattr(array, "close"):
            array.close()
        raise MediaError(path, "holds an archive of arrays, expected a single .npy array")
    if array.dtype.kind not in "biuf":
        raise MediaError(path, f"holds {array.dtype} values, expected numbers")
    if array.size == 0:
        raise MediaError(path, "holds an empty array")
    with np.errstate(over="ignore", invalid="ignore"):
        vector = array.astype(np.float32).ravel()
    if not np.isfinite(vector).all():
        bad = int(np.count_nonzero(~np.isfinite(vector)))
        raise MediaError(path, f"holds {bad} NaN or infinite value(s) (or values too large for float32)")
    return vector


def _open_container(path: Path, failure: str) -> av.container.InputContainer:
    if not path.is_file():
        raise MediaError(path, "file not found")
    try:
        return av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        reason = f"{failure} ({_reason(exc)}; corrupt, truncated or unsupported format?)"
        raise MediaError(path, reason) from None


def _missing_stream(container: av.container.InputContainer, kind: str) -> str:
    if container.streams.video or container.streams.audio:
        return f"the file has no {kind} stream"
    opening = "cannot open the video" if kind == "video" else "cannot decode audio"
    return f"{opening}: no media stream found in the file (truncated or corrupt?)"


def _frame_timestamps(
    container: av.container.InputContainer, stream, path: Path
) -> tuple[list[int], list[int]] | None:
    """Presentation timestamps of the stream's frames in order and those of its keyframes, from its
    packets (nothing decoded); None when the packets carry no timestamps."""
    stamps: list[int] = []
    keyframes: list[int] = []
    try:
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is None:
                return None
            stamps.append(stamp)
            if packet.is_keyframe:
                keyframes.append(stamp)
    except (av.error.FFmpegError, OSError):
        pass  # a truncated file: the packets read so far
    if not stamps:
        raise MediaError(path, "the video has no decodable frame")
    return sorted(set(stamps)), keyframes


def _count_frames(path: Path) -> int:
    container = _open_container(path, "cannot open the video")
    count = 0
    try:
        for _ in container.decode(video=0):
            count += 1
    except (av.error.FFmpegError, OSError):
        pass
    finally:
        container.close()
    return count


def _window_positions(reader: _FrameReader, count: int, window: tuple[float, float] | None) -> np.ndarray:
    """``frame_positions`` over the whole clip, or over the frames shown during ``window``."""
    if window is None:
        return frame_positions(reader.frame_count, count)
    start, end = window
    first = max(0, math.ceil(start * reader.fps - 1e-6))
    stop = min(reader.frame_count, math.ceil(end * reader.fps - 1e-6))
    if stop <= first:
        raise MediaError(reader.path, f"the window {start:g}-{end:g} s holds no frame")
    return first + frame_positions(stop - first, count)


def _read_positions(reader: _FrameReader, positions: np.ndarray, height: int, width: int):
    """Frames at ``positions`` resized to ``height`` × ``width`` RGB, or None if one does not decode."""
    picked: dict[int, np.ndarray] = {}
    for target in sorted(set(positions.tolist())):
        frame = reader.frame(target)
        if frame is None:
            return None
        picked[target] = reader.resized(frame, width, height)
    return [picked[p] for p in positions.tolist()]


def _decode_audio(container, stream, path: Path, max_s: float | None = None) -> tuple[list[np.ndarray], int]:
    """Mono float32 chunks of the decoded frames of ``stream`` (all, or the first ``max_s`` seconds and
    a little more) and its sample rate."""
    resampler: av.AudioResampler | None = None  # only for sample formats other than float
    chunks: list[np.ndarray] = []
    rate = stream.rate or 0
    packet = None
    decoded = 0
    try:
        for packet in container.demux(stream):
            if max_s is not None and rate and decoded >= max_s * rate:
                break
            for frame in packet.decode():
                decoded += frame.samples
                rate = frame.sample_rate or rate
                if frame.format.name in ("fltp", "flt"):
                    chunks.append(_mono(frame))
                else:
                    resampler = resampler or av.AudioResampler(format="fltp")
                    chunks += [_mono(f) for f in resampler.resample(frame)]
        if resampler is not None:
            chunks += [_mono(f) for f in resampler.resample(None)]
    except (av.error.FFmpegError, OSError) as exc:
        at = ""
        if packet is not None and packet.pts is not None and packet.time_base:
            at = f" at {float(packet.pts * Fraction(packet.time_base)):.2f} s"
        raise MediaError(path, f"undecodable audio packet{at} ({_reason(exc)})") from None
    chunks = [c for c in chunks if len(c)]
    if chunks and rate <= 0:
        raise MediaError(path, "the audio stream has no sample rate")
    return chunks, int(rate)


def _mono(frame: av.AudioFrame) -> np.ndarray:
    """The frame's samples averaged over its channels (float formats, planar or packed)."""
    samples = frame.to_ndarray()  # planar: [channels, samples]; packed: [1, samples × channels]
    if not frame.format.is_planar:
        samples = samples.reshape(-1, len(frame.layout.channels)).T
    if samples.shape[0] == 1:
        return samples[0].astype(np.float32, copy=False)
    return samples.mean(axis=0, dtype=np.float32)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def _kernel_half_width(source_rate: int, target_rate: int) -> int:
    return math.ceil(_SINC_ZERO_CROSSINGS / min(1.0, target_rate / source_rate))
