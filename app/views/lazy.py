"""Deferring a view's refresh while it is hidden (a closed dock, a background tab), and coalescing the
requests of one event-loop turn into one refresh."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget


class RefreshWhenVisible(QObject):
    """Runs ``refresh`` now if ``widget`` is visible, else once it is next shown.

    ``request()`` marks the view stale; ``request_later()`` refreshes a visible view on the next turn of
    the event loop instead, so the requests made meanwhile (a report brings a dataset, metrics, plans
    and valuations in one go) cost one refresh; ``flush()`` refreshes a stale view at once (for queries
    that must see current data even while hidden).
    """

    def __init__(self, widget: QWidget, refresh: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.stale = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self._due)
        widget.installEventFilter(self)

    def request(self) -> None:
        self.stale = True
        if self._widget.isVisible():
            self.flush()

    def request_later(self) -> None:
        self.stale = True
        if self._widget.isVisible():
            self._timer.start()

    def _due(self) -> None:
        if self._widget.isVisible():
            self.flush()

    def flush(self) -> None:
        if self.stale:
            self.stale = False
            self._refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # (getattr: Qt can still deliver an event while Python tears the object down at exit)
        if watched is getattr(self, "_widget", None) and event.type() == QEvent.Type.Show:
            self.flush()
        return False
