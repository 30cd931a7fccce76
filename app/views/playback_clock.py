"""The player's time base: a monotonic clock that ticks a few dozen times a second while playing."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer, Signal

TICK_MS = 33


class PlaybackClock(QObject):
    """Playback position in seconds, advanced by a QElapsedTimer; ``ticked`` reports it while running."""

    ticked = Signal(float)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._elapsed = QElapsedTimer()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(lambda: self.ticked.emit(self.position_s))
        self._origin = 0.0

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    @property
    def position_s(self) -> float:
        if not self.running:
            return self._origin
        return self._origin + self._elapsed.nsecsElapsed() / 1e9

    def start(self, position_s: float) -> None:
        """Run from ``position_s`` (restarts a running clock there)."""
        self._origin = position_s
        self._elapsed.start()
        self._timer.start()

    def stop(self) -> float:
        """Stop and return the position reached."""
        self._origin = self.position_s
        self._timer.stop()
        return self._origin
