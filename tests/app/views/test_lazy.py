"""Deferred view refreshes: one per frame, in order, each once, never on a deleted widget."""

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from app.views.lazy import FrameQueue, RefreshWhenVisible


def test_queued_callbacks_run_one_per_turn_in_order_and_once(qtbot):
    queue = FrameQueue()
    order: list[str] = []

    def first() -> None:
        order.append("a")
        QTimer.singleShot(0, lambda: order.append("posted by a"))  # stands for a's paint

    queue.schedule("a", first)
    queue.schedule("b", lambda: order.append("b"))
    queue.schedule("a", lambda: order.append("a again"))  # already queued: runs once, as first queued
    qtbot.waitUntil(lambda: "b" in order, timeout=2_000)
    qtbot.wait(50)
    assert order == ["a", "posted by a", "b"], "b waits until what a caused has been handled"


def test_a_cancelled_callback_does_not_run(qtbot):
    queue = FrameQueue()
    ran: list[str] = []
    queue.schedule("a", lambda: ran.append("a"))
    queue.schedule("b", lambda: ran.append("b"))
    queue.cancel("a")
    qtbot.waitUntil(lambda: ran == ["b"], timeout=2_000)
    qtbot.wait(50)
    assert ran == ["b"]


def test_requests_of_one_turn_cost_one_refresh_and_a_deleted_view_is_skipped(qtbot):
    refreshed: list[str] = []
    kept, dropped = QWidget(), QWidget()
    qtbot.addWidget(kept)
    kept.show()
    dropped.show()
    kept_lazy = RefreshWhenVisible(kept, lambda: refreshed.append("kept"))
    dropped_lazy = RefreshWhenVisible(dropped, lambda: refreshed.append("dropped"))
    dropped_lazy.request_later()
    for _ in range(3):
        kept_lazy.request_later()
    shiboken6.delete(dropped)  # Qt deletes the widget (and its refresher) before their turn
    qtbot.waitUntil(lambda: "kept" in refreshed, timeout=2_000)
    qtbot.wait(50)
    assert refreshed == ["kept"]


def test_a_hidden_view_refreshes_when_shown(qtbot):
    refreshed: list[int] = []
    widget = QWidget()
    qtbot.addWidget(widget)
    lazy = RefreshWhenVisible(widget, lambda: refreshed.append(1))
    lazy.request_later()
    qtbot.wait(50)
    assert refreshed == [] and lazy.stale
    widget.show()
    assert refreshed == [1] and not lazy.stale
