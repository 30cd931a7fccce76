"""Decoding media files: video frames with OpenCV, audio with soundfile, feature vectors with numpy.

Used for training preprocessing and by the app's player. Every decoding failure raises ``MediaError``
naming the file and the reason.
"""

from __future__ import annotations

import math
from pathlib import Path
from types import TracebackType

import cv2
import numpy as np
import soundfile

DEFAULT_FPS = 25.0
_SEEK_GAP = 16  # read forward instead of seeking when the wanted frame is at most this far ahead
_SINC_ZERO_CROSSINGS = 16  # half-width of the resampling kernel, in zero crossings of its cut-off
_RESAMPLE_CHUNK = 1 << 21  # output samples × kernel taps computed at once


class MediaError(ValueError):
    """A media file cannot be decoded; ``path`` and ``reason`` say which and why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class VideoClip:
    """An open video file giving random access to its frames as RGB ``uint8 [H, W, 3]`` arrays.

    ``fps`` falls back to ``DEFAULT_FPS`` when the container reports none. ``frame_count`` is the number
    of decodable frames: the container's count when its last frame can be read, else counted by reading.
    ``size`` is ``(width, height)``. Use as a context manager, or call ``close``.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._capture = _open_capture(self.path)
        self._next = 0
        try:
            fps = self._capture.get(cv2.CAP_PROP_FPS)
            self.fps = float(fps) if math.isfinite(fps) and fps > 0 else DEFAULT_FPS
            self.frame_count = self._decodable_frame_count()
            if self.frame_count == 0:
                raise MediaError(self.path, "the video has no decodable frame")
            first = self.read(0)
        except BaseException:
            self.close()
            raise
        self.height, self.width = first.shape[:2]

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
        frame = self._read_bgr(index)
        if frame is None:
            raise MediaError(self.path, f"frame {index} could not be decoded")
        return cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> VideoClip:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _read_bgr(self, index: int) -> np.ndarray | None:
        try:
            if self._next < index <= self._next + _SEEK_GAP:
                while self._next < index:
                    if not self._capture.grab():
                        return None
                    self._next += 1
            elif index != self._next:
                self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
            ok, frame = self._capture.read()
        except cv2.error as exc:
            raise MediaError(self.path, f"OpenCV failed to decode frame {index} ({exc})") from None
        if not ok or frame is None:
            self._next = -1  # position unknown: seek next time
            return None
        self._next = index + 1
        return frame

    def _decodable_frame_count(self) -> int:
        reported = _reported_frame_count(self._capture)
        if reported > 0 and self._read_bgr(reported - 1) is not None:
            return reported
        self._capture.release()
        self._capture = _open_capture(self.path)
        count = _count_frames(self._capture, self.path)
        self._capture.release()
        self._capture = _open_capture(self.path)
        self._next = 0
        return count


def open_video(path: str | Path) -> VideoClip:
    """Open a video for frame access (see ``VideoClip``); raises ``MediaError`` if it cannot be decoded."""
    return VideoClip(path)


def frame_positions(frame_count: int, count: int) -> np.ndarray:
    """Indices of ``count`` frames evenly spaced over ``frame_count``: the centres of equal segments."""
    return ((np.arange(count) + 0.5) * frame_count / count).astype(np.int64)


def read_frames(path: str | Path, count: int, height: int, width: int) -> np.ndarray:
    """``count`` frames evenly spaced over the clip (see ``frame_positions``), RGB ``uint8 [T, H, W, 3]``.

    Frames are read sequentially and resized with area interpolation. When the clip holds fewer
    decodable frames than its container claims (a truncated file), the positions are spaced over the
    frames that do decode; a clip with no decodable frame raises ``MediaError``.
    """
    if count < 1 or height < 1 or width < 1:
        raise ValueError(f"read_frames needs count, height and width >= 1, got {count}, {height}, {width}")
    path = Path(path)
    try:
        capture = _open_capture(path)
        try:
            total = _reported_frame_count(capture)
            if total <= 0:
                total = _count_frames(capture, path)
                capture.release()
                capture = _open_capture(path)
            frames, decoded = _read_positions(capture, frame_positions(total, count), height, width)
            if frames is None:
                if decoded == 0:
                    raise MediaError(path, "the video has no decodable frame (file truncated or corrupt?)")
                capture.release()
                capture = _open_capture(path)
                frames, _ = _read_positions(capture, frame_positions(decoded, count), height, width)
                if frames is None:
                    raise MediaError(path, "frames that decoded once could not be decoded again")
        finally:
            capture.release()
    except cv2.error as exc:
        raise MediaError(path, f"OpenCV failed to decode the video ({exc})") from None
    return np.stack(frames)


def read_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """The whole file as a mono ``float32`` waveform (channels averaged) and its sample rate."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(path, "file not found")
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.SoundFileError, RuntimeError, OSError, ValueError, TypeError) as exc:
        raise MediaError(path, f"cannot decode audio ({exc})") from None
    if data.shape[0] == 0:
        raise MediaError(path, "the audio file holds no samples")
    mono = data.mean(axis=1, dtype=np.float32)
    if not np.isfinite(mono).all():
        raise MediaError(path, "the audio holds NaN or infinite samples")
    return mono, int(rate)


def load_waveform(path: str | Path, sample_rate: int, duration_s: float) -> np.ndarray:
    """Mono ``float32 [round(sample_rate * duration_s)]``: resampled (see ``resample``), then repeated
    end to end if shorter or cut from the start if longer."""
    length = round(sample_rate * duration_s)
    if sample_rate < 1 or length < 1:
        raise ValueError(f"sample_rate {sample_rate} and duration_s {duration_s} give no samples")
    waveform, rate = read_audio(path)
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


def _open_capture(path: Path) -> cv2.VideoCapture:
    if not path.is_file():
        raise MediaError(path, "file not found")
    try:
        capture = cv2.VideoCapture(str(path))
    except cv2.error as exc:
        raise MediaError(path, f"OpenCV cannot open the video ({exc})") from None
    if not capture.isOpened():
        capture.release()
        raise MediaError(path, "OpenCV cannot open the video (corrupt, truncated or unsupported format)")
    return capture


def _reported_frame_count(capture: cv2.VideoCapture) -> int:
    count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
    return int(count) if math.isfinite(count) and count > 0 else 0


def _count_frames(capture: cv2.VideoCapture, path: Path) -> int:
    count = 0
    while capture.grab():
        count += 1
    if count == 0:
        raise MediaError(path, "the video has no decodable frame")
    return count


def _read_positions(
    capture: cv2.VideoCapture, positions: np.ndarray, height: int, width: int
) -> tuple[list[np.ndarray] | None, int]:
    """Frames at ``positions`` read in one forward pass, and how many frames were decoded on the way.

    Returns ``(None, decoded)`` when the clip ends before the last position.
    """
    picked: dict[int, np.ndarray] = {}
    index = 0
    for target in sorted(set(positions.tolist())):
        while index < target:
            if not capture.grab():
                return None, index
            index += 1
        ok, frame = capture.read()
        if not ok or frame is None:
            return None, index
        index += 1
        resized = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)
        picked[target] = cv2.cvtColor(resized, cv2.COLOR_BGR2RGB)
    return [picked[p] for p in positions.tolist()], index


def _kernel_half_width(source_rate: int, target_rate: int) -> int:
    return math.ceil(_SINC_ZERO_CROSSINGS / min(1.0, target_rate / source_rate))
