"""Every pane stays readable down to 1280 × 720: no plot title or axis label wider than its plot, no
value label cut by its plot's edge, no one-line label cut off, the primary button in full view, every
pane at least its minimum size."""

from __future__ import annotations

import contextlib

import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
from pytestqt.exceptions import TimeoutError as WaitTimedOut

from tests.app.helpers import open_report


def clipped(window, size) -> list[str]:
    problems = [] if (window.width(), window.height()) == size else [f"window {window.width()}x{window.height()}"]
    for dock in window.docks.values():
        if not dock.isVisible() or dock.visibleRegion().isEmpty():  # closed, or a tab behind another
            continue
        widget = dock.widget()
        hint = widget.minimumSizeHint()
        if widget.width() < hint.width() - 1 or widget.height() < hint.height() - 1:
            problems.append(f"{dock.windowTitle()}: {widget.width()}x{widget.height()} < minimum {hint.width()}x{hint.height()}")
        for view in widget.findChildren(pg.GraphicsView):
            if not view.isVisible():
                continue
            for item in view.scene().items():
                if isinstance(item, pg.PlotItem) and item.isVisible():
                    title = item.titleLabel
                    if title.isVisible() and title.item.boundingRect().width() > item.boundingRect().width() + 1:
                        problems.append(f"{dock.windowTitle()}: title {title.text!r} wider than its plot")
                if isinstance(item, pg.TextItem) and item.isVisible() and isinstance(box := item.getViewBox(), pg.ViewBox):
                    inside = box.mapRectToScene(box.boundingRect()).adjusted(-1, -1, 1, 1)
                    if not inside.contains(item.mapRectToScene(item.boundingRect())):
                        problems.append(f"{dock.windowTitle()}: value label {item.toPlainText()!r} cut by its plot")
                if isinstance(item, pg.AxisItem) and item.isVisible() and item.label.isVisible():
                    length = item.boundingRect().width() if item.orientation in ("top", "bottom") else item.boundingRect().height()
                    if item.label.boundingRect().width() > length + 1:
                        problems.append(f"{dock.windowTitle()}: axis label {item.labelString()!r} longer than its axis "
                                        f"({item.label.boundingRect().width():.0f} > {length:.0f})")
        for label in widget.findChildren(QLabel):
            if label.isVisible() and not label.wordWrap() and label.text() and label.width() < label.sizeHint().width() - 1:
                problems.append(f"{dock.windowTitle()}: label {label.text()[:40]!r} cut ({label.width()} < {label.sizeHint().width()})")
        for button in widget.findChildren(QPushButton, "primaryButton"):
            if button.isVisible() and button.visibleRegion().boundingRect() != button.rect():
                problems.append(f"{dock.windowTitle()}: {button.text().strip()!r} button not in full view")
    return problems


@pytest.mark.parametrize("size", [(1280, 720), (1366, 768)], ids=["1280x720", "1366x768"])
def test_every_pane_is_readable(qtbot, make_window, vector_run, size):
    window = make_window(size=size)
    window.reset_layout()  # the first-launch arrangement, for this size
    assert open_report(qtbot, window.controller, vector_run.report)
    window.select_sample(int(window.session.latest("train").sample_index[0]))
    for key in ("curves", "datasetPlot", "training", "resampling"):  # each tab of each group in turn
        window.docks[key].raise_()
        QApplication.processEvents()
        with contextlib.suppress(WaitTimedOut):  # deferred refreshes lay a pane out again a frame later
            qtbot.waitUntil(lambda: not clipped(window, size), timeout=10_000)
        problems = clipped(window, size)
        assert not problems, "\n".join(problems)
