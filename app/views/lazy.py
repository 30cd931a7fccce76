"""Deferring a view's refresh while it is hidden (a closed dock, a background tab)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QWidget


class RefreshWhenVisible(QObject):
    """Runs ``refresh`` now if ``widget`` is visible, else once it is next shown.

    ``request()`` marks the view stale; ``flush()`` refreshes a stale view at once (for queries that
    must see current data even while hidden).
    """

    def __init__(self, widget: QWidget, refresh: Callable[[], None]) -> None:
        super().__init__(widget)
        self._widget = widget
        self._refresh = refresh
        self.stale = False
        widget.installEventFilter(self)

    def request(self) -> None:
        self.stale = True
        if self._widget.isVisible():
            self.flush()

    def flush(self) -> None:
        if self.stale:
            self.stale = False
            self._refresh()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self._widget and event.type() == QEvent.Type.Show:
            self.flush()
        return False
