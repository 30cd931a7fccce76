"""Decoding a sample's media off the GUI thread, newest request first.

One :class:`MediaWorker` lives in its own QThread (see :class:`MediaThread`). The GUI thread posts
requests with ``request_frame`` / ``request_audio`` / ``request_still``; each kind keeps only its latest
pending request, so while the user scrubs the worker skips every frame that was asked for and superseded in the
meantime ("latest request wins"). Results come back as queued signals carrying fresh arrays.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import QObject, QThread, Signal, Slot

from core.data import MediaError, VideoClip, open_video, read_audio, still_picture


class MediaWorker(QObject):
    """Opens videos and reads frames and audio for the player; lives in a worker thread."""

    clip_opened = Signal(int, str, float, int)  # request id, path, fps, frame count
    frame_ready = Signal(int, str, int, object)  # request id, path, frame index, RGB uint8 [H, W, 3]
    audio_ready = Signal(int, str, object, int)  # request id, path, mono float32 waveform, sample rate
    still_ready = Signal(int, str, object)  # request id, path, RGB uint8 [H, W, 3]
    failed = Signal(int, str, str, str)  # request id, "video", "audio" or "image", path, reason
    _wake = Signal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._frame_request: tuple[int, str, int] | None = None
        self._audio_request: tuple[int, str] | None = None
        self._still_request: tuple[int, str, str] | None = None
        self._clip: VideoClip | None = None
        self._clip_path = ""
        self._clip_error = ""
        self._announced = -1  # the load (request id) last told the clip's fps and frame count
        self._wake.connect(self._work)

    # -- called from the GUI thread ------------------------------------------------------------
    def request_frame(self, request_id: int, path: str, frame_index: int) -> None:
        """Ask for frame ``frame_index`` of ``path``; replaces any frame request not yet started."""
        with self._lock:
            self._frame_request = (request_id, path, frame_index)
        self._wake.emit()

    def request_audio(self, request_id: int, path: str) -> None:
        """Ask for the waveform of ``path``; replaces any audio request not yet started."""
        with self._lock:
            self._audio_request = (request_id, path)
        self._wake.emit()

    def request_still(self, request_id: int, kind: str, path: str) -> None:
        """Ask for the still picture of ``path`` (a kind shown as an image); replaces any not yet started."""
        with self._lock:
            self._still_request = (request_id, kind, path)
        self._wake.emit()

    def close_clip(self) -> None:
        """Release the open video (call from the worker thread, or once the thread has finished)."""
        if self._clip is not None:
            self._clip.close()
        self._clip, self._clip_path, self._clip_error = None, "", ""

    # -- worker thread -----------------------------------------------------------------------
    @Slot()
    def _work(self) -> None:
        with self._lock:
            frame, self._frame_request = self._frame_request, None
            audio, self._audio_request = self._audio_request, None
            still, self._still_request = self._still_request, None
        if still is not None:
            self._read_still(*still)
        if frame is not None:
            self._read_frame(*frame)
        if audio is not None:
            self._read_audio(*audio)

    def _read_frame(self, request_id: int, path: str, index: int) -> None:
        new_load = request_id != self._announced
        if path != self._clip_path or (new_load and self._clip is None):  # a new load retries a failed open
            self.close_clip()
            self._clip_path = path
            try:  # the first frame at once; a clip shorter than it claims is found when a read fails
                self._clip = open_video(path, check_length=False)
            except MediaError as exc:
                self._clip_error = exc.reason
        if self._clip is not None and new_load:  # every load learns fps and length, even of the same clip
            self._announced = request_id
            self.clip_opened.emit(request_id, path, self._clip.fps, self._clip.frame_count)
        if self._clip is None:
            self.failed.emit(request_id, "video", path, self._clip_error)
            return
        try:
            index, image = self._read(request_id, path, self._clip, min(max(index, 0), self._clip.frame_count - 1))
        except MediaError as exc:
            self.failed.emit(request_id, "video", path, exc.reason)
            return
        self.frame_ready.emit(request_id, path, index, image)

    def _read(self, request_id: int, path: str, clip: VideoClip, index: int) -> tuple[int, np.ndarray]:
        """Frame ``index``. When it does not decode, the clip's length is checked: a clip shorter than
        it claims is announced again with its real length, and the frame is read again (its last
        frame, when ``index`` lies past the real end)."""
        try:
            return index, clip.read(index)
        except MediaError:
            claimed = clip.frame_count
            if clip.length_checked or clip.check_length() == claimed:  # as long as it says: a broken frame
                raise
        if clip.frame_count == 0:  # (the file changed since it was opened)
            raise MediaError(path, "the video has no decodable frame")
        self.clip_opened.emit(request_id, path, clip.fps, clip.frame_count)
        index = min(index, clip.frame_count - 1)
        return index, clip.read(index)

    def _read_audio(self, request_id: int, path: str) -> None:
        try:
            waveform, rate = read_audio(path)
        except MediaError as exc:
            self.failed.emit(request_id, "audio", path, exc.reason)
            return
        self.audio_ready.emit(request_id, path, np.ascontiguousarray(waveform), rate)


    def _read_still(self, request_id: int, kind: str, path: str) -> None:
        try:
            picture = still_picture(kind, path)
        except MediaError as exc:
            self.failed.emit(request_id, "image", path, exc.reason)
            return
        self.still_ready.emit(request_id, path, picture)


class MediaThread:
    """A :class:`MediaWorker` in its own QThread, started on first use and stopped by ``stop``."""

    def __init__(self) -> None:
        self.worker = MediaWorker()
        self._thread = QThread()
        self._thread.setObjectName("modalens-media")
        self.worker.moveToThread(self._thread)

    def ensure_started(self) -> None:
        if not self._thread.isRunning():
            self._thread.start()

    def request_frame(self, request_id: int, path: str | Path, frame_index: int) -> None:
        self.ensure_started()
        self.worker.request_frame(request_id, str(path), frame_index)

    def request_audio(self, request_id: int, path: str | Path) -> None:
        self.ensure_started()
        self.worker.request_audio(request_id, str(path))

    def request_still(self, request_id: int, kind: str, path: str | Path) -> None:
        self.ensure_started()
        self.worker.request_still(request_id, kind, str(path))

    @property
    def running(self) -> bool:
        return self._thread.isRunning()

    def stop(self) -> None:
        """Finish the request in progress, end the thread and release the open video."""
        if not shiboken6.isValid(self._thread):  # already deleted (interpreter shutdown)
            return
        if self._thread.isRunning():
            self._thread.quit()
            self._thread.wait()
        self.worker.close_clip()
