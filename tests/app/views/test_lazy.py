"""Deferred view refreshes: one per frame, in order, each once, never on a deleted widget."""

import numpy as np
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from app.views.lazy import FRAME_MS, FrameQueue, RefreshWhenVisible


def test_queued_callbacks_run_one_per_turn_in_order_and_once(qtbot):
    queue = FrameQueue()
    order: list[str] = []

    def first() -> None:
        order.append("a")
        QTimer.singleShot(0, lambda: order.append("posted by a"))  # stands for a's paint

    queue.schedule("a", first)
    queue.schedule("b", lambda: order.append("b"))
    queue.schedule("a", lambda: order.append("a again"))  # already queued: runs once, as first queued
    qtbot.waitUntil(lambda: "b" in order, timeout=30_000)
    qtbot.wait(50)
    assert order == ["a", "posted by a", "b"], "b waits until what a caused has been handled"


def test_a_hold_keeps_refreshes_back_until_released_or_expired(qtbot, monkeypatch):
    queue = FrameQueue()
    ran: list[str] = []
    queue.hold("player")
    queue.schedule("a", lambda: ran.append("a"))
    qtbot.wait(5 * FRAME_MS)
    assert ran == [] and queue.held  # the frame the user waits for comes first
    queue.release("player")
    qtbot.waitUntil(lambda: ran == ["a"], timeout=30_000)
    monkeypatch.setattr("app.views.lazy.HOLD_MS", 0)
    queue.hold("lost")  # a frame that never comes holds the views back no longer than HOLD_MS
    queue.schedule("b", lambda: ran.append("b"))
    qtbot.waitUntil(lambda: ran == ["a", "b"], timeout=30_000)


def test_a_cancelled_callback_does_not_run(qtbot):
    queue = FrameQueue()
    ran: list[str] = []
    queue.schedule("a", lambda: ran.append("a"))
    queue.schedule("b", lambda: ran.append("b"))
    queue.cancel("a")
    qtbot.waitUntil(lambda: ran == ["b"], timeout=30_000)
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
    qtbot.waitUntil(lambda: "kept" in refreshed, timeout=30_000)
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


def test_requests_within_a_burst_cost_one_refresh(qtbot):
    refreshed: list[int] = []
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    lazy = RefreshWhenVisible(widget, lambda: refreshed.append(1))
    for _ in range(3):
        lazy.request_later(within_ms=300)
        qtbot.wait(3 * FRAME_MS)  # each alone would have been refreshed by now
    qtbot.waitUntil(lambda: refreshed == [1], timeout=30_000)
    qtbot.wait(400)
    assert refreshed == [1]
    lazy.request_later(within_ms=300)
    lazy.flush()  # a query needs the data now: refreshed at once, and the pending one is dropped
    qtbot.wait(400)
    assert refreshed == [1, 1]


def test_a_live_runs_epoch_of_split_valuations_repaints_the_browser_once(qtbot):
    from app.views.browser import SampleBrowser
    from core import events as ev
    from tests.app.views.helpers import make_dataset, make_result, session_with

    dataset = make_dataset(12)
    session = session_with(dataset)
    session.apply(ev.RunPaused(False))  # the run is going
    browser = SampleBrowser(session)
    qtbot.addWidget(browser)
    browser.show()
    resets: list[int] = []
    browser.model.modelReset.connect(lambda: resets.append(1))
    for split in ("train", "val", "test"):
        rows = np.flatnonzero(dataset.splits == split)
        session.add_valuation(make_result(0, split, rows, np.ones((len(rows), 2)), dataset.labels))
        qtbot.wait(3 * FRAME_MS)
    qtbot.waitUntil(lambda: bool(resets), timeout=30_000)
    qtbot.wait(400)
    once = len(resets)
    assert once <= 2, "one refresh (its values and its filter) for the three valuations"
    assert not np.isnan(browser.model.table.phi).any()
