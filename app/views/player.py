"""The sample player: the current sample's video frames or still picture (images, optical flow),
waveform, spectrogram and feature vectors. A modality's display follows its kind's declared ``player``
through :data:`DISPLAYS`.

Frames and audio are decoded in a worker thread (:mod:`app.views.frame_worker`). A monotonic clock
drives playback; sound, when the machine has an output device, follows that clock, so a machine without
one plays silently (with a note saying so) rather than hanging. Missing or unreadable media show a
message in the player.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from app.state.samples import SampleSet
from app.style import apply_plot_palette, modality_color, plain_axes, text_color
from app.views.audio_output import NO_DEVICE, AudioOutput, output_available
from app.views.base import RIGHT, View
from app.views.frame_worker import MediaThread
from app.views.lazy import frame_queue
from app.views.playback_clock import PlaybackClock
from app.widgets.tooltip import with_tip
from core.data import MediaError, get_kind, load_vector

SPECTROGRAM_COLUMNS = 600  # at most this many time columns in the spectrogram
AUDIO_RESTART_DELAY_S = 0.15  # while scrubbing during playback, restart the sound once seeks pause this long
BAR_LIMIT = 64  # vectors up to this length are drawn as bars, longer ones as a line


def spectrogram(waveform: np.ndarray, rate: int) -> np.ndarray:
    """Log-magnitude short-time spectrum in dB, ``[frequency bins, time columns]``."""
    n_fft = int(2 ** np.ceil(np.log2(max(rate * 0.025, 16))))
    if len(waveform) < n_fft:
        waveform = np.pad(waveform, (0, n_fft - len(waveform)))
    hop = max(n_fft // 4, (len(waveform) - n_fft) // SPECTROGRAM_COLUMNS + 1)
    frames = np.lib.stride_tricks.sliding_window_view(waveform, n_fft)[::hop]
    magnitude = np.abs(np.fft.rfft(frames * np.hanning(n_fft).astype(np.float32), axis=1))
    return (20 * np.log10(magnitude + 1e-6)).T.astype(np.float32)


def _describe(kind: str, path: str, reason: str) -> str:
    if reason == "file not found":
        return f"{kind} file not found: {path}"
    return f"{kind} file cannot be played: {path} ({reason})"


def _time_text(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:05.2f}"


class SamplePlayer(View, QWidget):
    """Plays the session's current sample: video, audio waveform + spectrogram with a play head, vectors.

    Call ``shutdown()`` before the application quits (it also runs when the widget is destroyed).
    """

    key = "player"
    title = "Sample"
    area = RIGHT

    frame_shown = Signal(int)  # frame index, emitted when a decoded frame is drawn

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._media = MediaThread()
        self._clock = PlaybackClock(self)
        self._audio = AudioOutput(self)
        self._build()

        self._index = -1
        self._request = 0  # id of the sample load in progress; results of older loads are dropped
        self._video_path = ""
        self._fps = 0.0
        self._frame_count = 0
        self._requested_frame = -1
        self._frame: np.ndarray | None = None
        self._shown_frame = -1
        self._still_path = ""
        self._waveform: np.ndarray | None = None
        self._rate = 0
        self._video_duration = 0.0
        self._audio_duration = 0.0
        self._position = 0.0
        self._audio_due: float | None = None  # monotonic time after which to restart the sound
        self._messages: dict[str, str] = {}

        worker = self._media.worker
        worker.clip_opened.connect(self._clip_opened)
        worker.frame_ready.connect(self._frame_ready)
        worker.audio_ready.connect(self._audio_ready)
        worker.still_ready.connect(self._still_ready)
        worker.failed.connect(self._failed)
        self._clock.ticked.connect(self._tick)
        self._audio.failed.connect(self._audio_failed)
        media = self._media
        self.destroyed.connect(lambda *_: media.stop())
        self._lazy = self.refresh_when_visible(self._load_current)
        session.current_changed.connect(lambda _: self._lazy.request())
        session.dataset_changed.connect(self._lazy.request)
        session.media_root_changed.connect(self._lazy.request)
        self._lazy.request()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        self.heading = QLabel("Select a sample to play it.")
        self.heading.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.message.hide()

        self.video_view = pg.GraphicsView()
        self.video_box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
        self.video_view.setCentralItem(self.video_box)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.video_box.addItem(self.image_item)

        self.audio_view = pg.GraphicsLayoutWidget()
        self.wave_plot = self.audio_view.addPlot(row=0, col=0)
        self.spec_plot = self.audio_view.addPlot(row=1, col=0)
        for plot in (self.wave_plot, self.spec_plot):
            plain_axes(plot)  # "time (s)" in seconds, never "(x0.001)"
        self.wave_plot.getAxis("bottom").setStyle(showValues=False)
        self.spec_plot.setLabel("left", "Hz")
        self.audio_view.setMinimumHeight(150)
        self.video_view.setMinimumHeight(80)
        self.spec_plot.setLabel("bottom", "time (s)")
        self.spec_plot.setXLink(self.wave_plot)
        for plot in (self.wave_plot, self.spec_plot):
            plot.setMouseEnabled(y=False)
            plot.hideButtons()
        self.wave_curve = pg.PlotDataItem()
        self.wave_curve.setDownsampling(auto=True, method="peak")
        self.wave_curve.setClipToView(True)
        self.wave_plot.addItem(self.wave_curve)
        self.spec_image = pg.ImageItem(axisOrder="row-major")
        self.spec_image.setColorMap(pg.colormap.get("viridis"))
        self.spec_plot.addItem(self.spec_image)
        self.wave_head = pg.InfiniteLine(angle=90, movable=False)
        self.spec_head = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("w"))
        self.wave_plot.addItem(self.wave_head, ignoreBounds=True)
        self.spec_plot.addItem(self.spec_head, ignoreBounds=True)

        self.vector_view = pg.GraphicsLayoutWidget()
        self.vector_view.setMinimumHeight(110)

        self.play_button = with_tip(QToolButton(), "Play / pause (Space while the player has focus)")
        space = QShortcut(QKeySequence(Qt.Key.Key_Space), self, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        space.activated.connect(self.toggle)
        self.play_button.clicked.connect(self.toggle)
        self.slider = with_tip(QSlider(Qt.Orientation.Horizontal), "Scrub through the sample")
        self.slider.valueChanged.connect(lambda ms: self.seek(ms / 1000.0))
        self.time_label = QLabel()
        self.loop_box = with_tip(QCheckBox("loop"), "Start again at the end")
        self.audio_note = QLabel()
        self.audio_note.hide()
        self.video_choice = with_tip(QComboBox(), "Which video, image or flow modality to show")
        self.audio_choice = with_tip(QComboBox(), "Which audio modality to play")
        self.video_choice.currentIndexChanged.connect(lambda _: self._lazy.request() if self._index >= 0 else None)
        self.audio_choice.currentIndexChanged.connect(lambda _: self._lazy.request() if self._index >= 0 else None)

        self.transport = QWidget()
        transport = QHBoxLayout(self.transport)
        transport.setContentsMargins(0, 0, 0, 0)
        transport.addWidget(self.play_button)
        transport.addWidget(self.slider, 1)
        for widget in (self.time_label, self.loop_box, self.video_choice, self.audio_choice):
            transport.addWidget(widget)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        for widget in (self.video_view, self.audio_view, self.vector_view):
            self.splitter.addWidget(widget)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.heading)
        layout.addWidget(self.message)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.audio_note)
        layout.addWidget(self.transport)
        self._apply_palette()
        self._set_playing_icon(False)

    # -- public ------------------------------------------------------------------------------
    @property
    def position_s(self) -> float:
        """Playback position in seconds."""
        return self._clock.position_s if self._clock.running else self._position

    @property
    def duration_s(self) -> float:
        return max(self._video_duration, self._audio_duration)

    @property
    def playing(self) -> bool:
        return self._clock.running

    def message_text(self) -> str:
        """The problems shown for the current sample (missing or unreadable media), one per line."""
        return "\n".join(self._messages.values())

    def audio_note_text(self) -> str:
        """The note under the player about sound ("no audio output — silent playback"), or ""."""
        return self.audio_note.text() if not self.audio_note.isHidden() else ""

    def displayed_frame(self) -> np.ndarray | None:
        """The RGB frame drawn now."""
        return self._frame

    @property
    def shown_frame_index(self) -> int:
        return self._shown_frame

    def play(self) -> None:
        """Play from the current position (from the start when at the end)."""
        self._lazy.flush()
        if self.playing or self.duration_s <= 0:
            return
        if self.position_s >= self.duration_s:
            self._position = 0.0
        self._clock.start(self._position)
        self._start_sound(self._position)
        self._set_playing_icon(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._position = min(self._clock.stop(), self.duration_s)
        self._audio.stop()
        self._audio_due = None
        self._set_playing_icon(False)
        self._show_position(self._position)

    def toggle(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def seek(self, seconds: float) -> None:
        """Jump to ``seconds`` (clamped to the sample's duration) and show the frame there."""
        self._lazy.flush()
        seconds = min(max(float(seconds), 0.0), self.duration_s)
        self._position = seconds
        if self.playing:
            self._clock.start(seconds)
            if self._waveform is not None:
                self._audio.stop()
                self._audio_due = time.monotonic() + AUDIO_RESTART_DELAY_S
        self._show_position(seconds)

    def shutdown(self) -> None:
        """Stop playback and the decoding thread (the player can still be used afterwards)."""
        self._clock.stop()
        self._audio.stop()
        self._media.stop()

    # -- loading -----------------------------------------------------------------------------
    def _load_current(self) -> None:
        frame_queue().release(self)
        self._clock.stop()
        self._audio.stop()
        self._audio_due = None
        self._set_playing_icon(False)
        self._request += 1
        self._index = self.session.current
        self._video_path, self._fps, self._frame_count = "", 0.0, 0
        self._still_path = ""
        self._requested_frame, self._shown_frame, self._frame = -1, -1, None
        self._waveform, self._rate = None, 0
        self._video_duration = self._audio_duration = self._position = 0.0
        self._messages = {}
        self.image_item.clear()
        self.wave_curve.setData([], [])
        self.spec_image.clear()
        self.vector_view.clear()
        self._audio.set_waveform(None)

        dataset = self.session.dataset
        if dataset is None or not 0 <= self._index < len(dataset):
            self._index = -1
            self.heading.setText("Select a sample to play it.")
            for widget in (self.video_view, self.audio_view, self.vector_view, self.audio_note, self.transport):
                widget.hide()
            self._update_messages()
            self._update_transport()
            return
        label = int(dataset.labels[self._index])
        name = dataset.class_names[label] if 0 <= label < len(dataset.class_names) else str(label)
        sample_id, split = html.escape(str(dataset.ids[self._index])), html.escape(str(dataset.splits[self._index]))
        self.heading.setText(f"<b>{sample_id}</b> · label {html.escape(name)} · split {split}")

        displays = self._displays(dataset.modalities, dataset.modality_kinds)
        in_slot = {slot: [m for m, d in displays.items() if d.slot == slot] for slot in SLOTS}
        picture = self._choose(self.video_choice, in_slot[PICTURE])
        sound = self._choose(self.audio_choice, in_slot[SOUND])
        shown = [m for m in (picture, sound) if m is not None] + in_slot[VECTORS]
        self.video_view.setVisible(picture is not None)
        self.audio_view.setVisible(sound is not None)
        self.vector_view.setVisible(bool(in_slot[VECTORS]))
        self.transport.setVisible(any(displays[m].plays for m in shown))
        if sound is None:
            self.audio_note.hide()
        for modality in shown:
            displays[modality].show(self, modality, dataset.media_path(self._index, modality))
        self._update_messages()
        self._update_transport()

    def _displays(self, modalities: list[str], kinds: dict[str, str]) -> dict[str, Display]:
        """Each modality's display, from its kind's declared player; a player with none is a message."""
        displays = {}
        for modality in modalities:
            if modality not in kinds:
                continue
            player = get_kind(kinds[modality]).player
            if player in DISPLAYS:
                displays[modality] = DISPLAYS[player]
            else:
                self._messages[f"display:{modality}"] = f"{modality}: the player has no display for {player!r}"
        return displays

    @staticmethod
    def _choose(combo: QComboBox, names: list[str]) -> str | None:
        current = combo.currentText()
        if [combo.itemText(i) for i in range(combo.count())] != names:
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(names)
            if current in names:
                combo.setCurrentText(current)
            combo.blockSignals(False)
        combo.setVisible(len(names) > 1)
        return combo.currentText() if names else None

    # -- the displays (see DISPLAYS) -------------------------------------------------------------
    def _dataset(self) -> SampleSet:
        """The open dataset: a display runs only for a sample of it."""
        assert self.session.dataset is not None
        return self.session.dataset

    def _show_clip(self, _modality: str, path: Path) -> None:
        self._video_path = str(path)
        frame_queue().hold(self)  # the other views' deferred refreshes wait for the first frame
        self._request_frame(0)

    def _show_still(self, modality: str, path: Path) -> None:
        self._still_path = str(path)
        self._media.request_still(self._request, self._dataset().modality_kinds[modality], path)

    def _show_sound(self, modality: str, path: Path) -> None:
        self.wave_curve.setPen(pg.mkPen(modality_color(modality, self._dataset().modalities), width=1))
        self._media.request_audio(self._request, path)
        if not output_available():
            self._set_audio_note(NO_DEVICE)

    def _show_vector(self, modality: str, path: Path) -> None:
        try:
            vector = load_vector(path)
        except MediaError as exc:
            self._messages[f"vector:{modality}"] = _describe(f"{modality} vector", str(path), exc.reason)
            return
        modalities = self._dataset().modalities
        plot = self.vector_view.addPlot(row=len(self.vector_view.ci.items), col=0, title=modality)
        plot.hideButtons()
        plain_axes(plot)
        color = modality_color(modality, modalities)
        if len(vector) <= BAR_LIMIT:
            plot.addItem(pg.BarGraphItem(x=np.arange(len(vector)), height=vector, width=0.8, brush=color, pen=None))
        else:
            plot.plot(vector, pen=pg.mkPen(color, width=1.5))
        plot.setLabel("bottom", f"{modality} feature ({len(vector)} values)")
        self._apply_palette()

    # -- worker results ----------------------------------------------------------------------
    def _clip_opened(self, request: int, path: str, fps: float, frame_count: int) -> None:
        if request != self._request or path != self._video_path:
            return
        self._fps, self._frame_count = fps, frame_count
        self._video_duration = frame_count / fps
        self._position = min(self._position, self.duration_s)  # (a clip found shorter than it claimed)
        self._update_transport()

    def _frame_ready(self, request: int, path: str, index: int, image: np.ndarray) -> None:
        if request != self._request or path != self._video_path:
            return
        resized = self._frame is None or self._frame.shape != image.shape
        self._frame, self._shown_frame = image, index
        self.image_item.setImage(image, autoLevels=False, levels=(0, 255))
        if resized:
            self.video_box.autoRange(padding=0)
        frame_queue().release(self)
        self.frame_shown.emit(index)

    def _still_ready(self, request: int, path: str, picture: np.ndarray) -> None:
        if request != self._request or path != self._still_path:
            return
        self._frame = picture
        self.image_item.setImage(picture, autoLevels=False, levels=(0, 255))
        self.video_box.autoRange(padding=0)

    def _audio_ready(self, request: int, _path: str, waveform: np.ndarray, rate: int) -> None:
        if request != self._request:
            return
        self._waveform, self._rate = waveform, rate
        self._audio_duration = len(waveform) / rate
        self._audio.set_waveform(waveform, rate)
        times = np.arange(len(waveform), dtype=np.float64) / rate
        self.wave_curve.setData(times, waveform)
        spec = spectrogram(waveform, rate)
        self.spec_image.setImage(spec, autoLevels=False, levels=(float(spec.max()) - 80.0, float(spec.max())))
        self.spec_image.setRect(QRectF(0.0, 0.0, self._audio_duration, rate / 2))
        self.wave_plot.setXRange(0, self._audio_duration, padding=0)
        self.spec_plot.setYRange(0, rate / 2, padding=0)
        self._update_transport()

    def _failed(self, request: int, kind: str, path: str, reason: str) -> None:
        if request != self._request:
            return
        frame_queue().release(self)
        self._messages[kind] = _describe(kind, path, reason)
        self._update_messages()

    def _audio_failed(self, reason: str) -> None:
        self._set_audio_note(reason)

    # -- playback ----------------------------------------------------------------------------
    def _start_sound(self, position: float) -> None:
        self._audio_due = None
        if self._waveform is None or position >= self._audio_duration:
            return
        reason = self._audio.start(position)
        if reason is not None:
            self._set_audio_note(reason)

    def _tick(self, position: float) -> None:
        duration = self.duration_s
        if position >= duration:
            if self.loop_box.isChecked() and duration > 0:
                self._clock.start(0.0)
                self._start_sound(0.0)
                self._show_position(0.0)
            else:
                self.pause()
            return
        if self._audio_due is not None and time.monotonic() >= self._audio_due:
            self._start_sound(position)
        self._show_position(position)

    def _show_position(self, seconds: float) -> None:
        self.slider.blockSignals(True)
        self.slider.setValue(round(seconds * 1000))
        self.slider.blockSignals(False)
        self.time_label.setText(f"{_time_text(seconds)} / {_time_text(self.duration_s)}")
        self.wave_head.setPos(seconds)
        self.spec_head.setPos(seconds)
        if self._frame_count > 0:
            self._request_frame(min(int(seconds * self._fps + 1e-6), self._frame_count - 1))

    def _request_frame(self, index: int) -> None:
        if index != self._requested_frame and self._video_path:
            self._requested_frame = index
            self._media.request_frame(self._request, self._video_path, index)

    # -- small widgets -----------------------------------------------------------------------
    def _update_transport(self) -> None:
        duration = self.duration_s
        enabled = duration > 0
        self.play_button.setEnabled(enabled)
        self.slider.setEnabled(enabled)
        self.slider.blockSignals(True)
        self.slider.setRange(0, round(duration * 1000))
        self.slider.setSingleStep(max(1, round(1000 / self._fps)) if self._fps else 40)
        self.slider.setPageStep(max(1, round(duration * 100)))
        self.slider.blockSignals(False)
        self.time_label.setText(f"{_time_text(self.position_s)} / {_time_text(duration)}")

    def _update_messages(self) -> None:
        text = self.message_text()
        self.message.setText("\n".join(f"⚠ {line}" for line in text.splitlines()))
        self.message.setVisible(bool(text))

    def _set_audio_note(self, reason: str) -> None:
        self.audio_note.setText(f"{reason} — silent playback")
        self.audio_note.show()

    def _set_playing_icon(self, playing: bool) -> None:
        icon = QStyle.StandardPixmap.SP_MediaPause if playing else QStyle.StandardPixmap.SP_MediaPlay
        self.play_button.setIcon(self.style().standardIcon(icon))

    def _apply_palette(self) -> None:
        palette = self.palette()
        for view in (self.video_view, self.audio_view, self.vector_view):
            apply_plot_palette(view, palette)
        self.wave_head.setPen(pg.mkPen(text_color(palette), width=2))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802 (Qt override)
        self.pause()
        super().hideEvent(event)


PICTURE, SOUND, VECTORS = "picture", "sound", "vectors"
SLOTS = (PICTURE, SOUND, VECTORS)
"""The player's areas: one picture and one sound at a time (each chosen in a list), every vector."""


@dataclass(frozen=True)
class Display:
    """How the player shows a modality: in which slot, whether it has a timeline, and what loads it."""

    slot: str
    plays: bool
    show: Callable[[SamplePlayer, str, Path], None]  # (player, modality, media path)


DISPLAYS: dict[str, Display] = {
    "video": Display(PICTURE, True, SamplePlayer._show_clip),
    "image": Display(PICTURE, False, SamplePlayer._show_still),
    "audio": Display(SOUND, True, SamplePlayer._show_sound),
    "vector": Display(VECTORS, False, SamplePlayer._show_vector),
}
"""The display for each player a kind may declare (``core.data.kinds.base.PLAYERS``)."""
