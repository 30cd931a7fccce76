"""Deferring a view's refresh while it is hidden (a closed dock, a background tab), coalescing the
requests of one event-loop turn into one refresh, and spreading the deferred refreshes of several views
over successive frames so that the GUI thread never redraws them all in one turn."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

FRAME_MS = 16
"""The least time between two deferred refreshes: one redraw (and its paint) per frame."""
HOLD_MS = 250
"""The longest a hold (a frame the user waits for) keeps the deferred refreshes back."""
BURST_MS = 300
"""How long a live run's burst of data (an epoch's valuations of train, val and test) is gathered
into one refresh."""


class FrameQueue(QObject):
    """Runs queued callbacks one per frame, in the order first queued; queuing one twice runs it once.

    An epoch's end asks several views at once to redraw (the browser, the contribution bars, the
    dataset plot, the curves); done in one event-loop turn they add up to a stall. Here each runs in
    its own turn, ``FRAME_MS`` after the previous one (or after being asked), so its paint comes in
    between. While something the user just asked for is on its way (the player's first frame of a newly
    selected sample), a :meth:`hold` keeps the queue back, at most ``HOLD_MS``, so that no refresh takes
    the GUI thread the moment the frame arrives.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: dict[object, Callable[[], None]] = {}
        self._holds: dict[object, float] = {}
        """Holders and the monotonic time their hold ends by."""
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._run_next)

    def schedule(self, key: object, callback: Callable[[], None]) -> None:
        self._pending.setdefault(key, callback)
        self._arm()

    def cancel(self, key: object) -> None:
        self._pending.pop(key, None)

    def hold(self, holder: object) -> None:
        """Keep the queued refreshes back until ``holder`` releases, or ``HOLD_MS`` at most."""
        self._holds[holder] = time.monotonic() + HOLD_MS / 1000

    def release(self, holder: object) -> None:
        self._holds.pop(holder, None)

    @property
    def held(self) -> bool:
        now = time.monotonic()
        self._holds = {h: end for h, end in self._holds.items() if end > now}
        return bool(self._holds)

    @property
    def pending(self) -> int:
        """How many callbacks are still to run."""
        return len(self._pending)

    def _arm(self) -> None:
        # A frame after it is asked for, not at once: the work that asked (say, a report just shown) may
        # itself have taken a while, and the timers and paints it held up go first.
        if self._pending and not self._timer.isActive():
            self._timer.start()

    def _run_next(self) -> None:
        if not self._pending:
            return
        if self.held:
            self._timer.start()
            return
        key = next(iter(self._pending))
        callback = self._pending.pop(key)
        try:
            callback()
        finally:
            self._arm()


_queue: FrameQueue | None = None


def frame_queue() -> FrameQueue:
    """The application's one :class:`FrameQueue` (made on first use, owned by the application)."""
    global _queue
    if _queue is None:
        _queue = FrameQueue(QCoreApplication.instance())
        _queue.destroyed.connect(_forget_queue)
    return _queue


def _forget_queue() -> None:
    global _queue
    _queue = None


class RefreshWhenVisible(QObject):
    """Runs ``refresh`` now if ``widget`` is visible, else once it is next shown.

    ``request()`` marks the view stale; ``request_later()`` refreshes a visible view from the
    application's :class:`FrameQueue` instead, so the requests made meanwhile (a report brings a
    dataset, metrics, plans and valuations in one go) cost one refresh, in a frame of its own;
    ``request_later(within_ms)`` first waits up to ``within_ms`` for more requests (data arriving in
    bursts); ``flush()`` refreshes a stale view at once (for queries that must see current data even
    while hidden).
    """

    def __init__(self, widget: QWidget, refresh: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.stale = False
        self._gather = QTimer(self)
        self._gather.setSingleShot(True)
        self._gather.timeout.connect(self._queue)
        widget.installEventFilter(self)

    def request(self) -> None:
        self.stale = True
        if self._widget.isVisible():
            self.flush()

    def request_later(self, within_ms: int = 0) -> None:
        self.stale = True
        if not self._widget.isVisible():
            return
        if within_ms <= 0:
            self._queue()
        elif not self._gather.isActive():
            self._gather.start(within_ms)

    def _queue(self) -> None:
        frame_queue().schedule(self, self._due)

    def _due(self) -> None:
        # (the queue can still hold a view whose widget Qt has deleted since)
        if isValid(self._widget) and self._widget.isVisible():
            self.flush()

    def flush(self) -> None:
        if self.stale:
            self.stale = False
            self._gather.stop()
            self._refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # (getattr: Qt can still deliver an event while Python tears the object down at exit)
        if watched is getattr(self, "_widget", None) and event.type() == QEvent.Type.Show:
            self.flush()
        return False
