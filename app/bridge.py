"""Carries engine events from the engine's thread into the GUI thread's :class:`Session`.

The engine calls plain listeners in its own thread. :class:`EventBridge` is such a listener: it
appends the event to a locked queue and, when the queue was empty, emits one queued Qt signal. The
GUI thread then drains everything that arrived in one go, so a fast run costs one signal per GUI
turn rather than one per event, and a burst of ``Progress`` events collapses into the latest one.
"""

from __future__ import annotations

import threading
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from core import events as ev


class EventBridge(QObject):
    """An engine-bus listener that hands events to a callback in the GUI thread, in order."""

    _pending = Signal()

    def __init__(self, deliver, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._deliver = deliver
        self._queue: list[Any] = []
        self._lock = threading.Lock()
        self._pending.connect(self.drain, Qt.ConnectionType.QueuedConnection)

    def __call__(self, event: Any) -> None:
        """Engine-thread side: queue the event (never blocks on the GUI)."""
        with self._lock:
            self._queue.append(event)
            first = len(self._queue) == 1
        if first:
            self._pending.emit()

    @Slot()
    def drain(self) -> None:
        """GUI-thread side: apply every queued event; consecutive progress reports keep only the last."""
        with self._lock:
            events, self._queue = self._queue, []
        for position, event in enumerate(events):
            following = events[position + 1] if position + 1 < len(events) else None
            if isinstance(event, ev.Progress) and isinstance(following, ev.Progress):
                continue
            self._deliver(event)
