"""A scatter of many same-looking points, drawn in one ``QPainter.drawPoints`` call.

pyqtgraph's ``ScatterPlotItem`` keeps a style record per point and looks each one up in its symbol
atlas whenever the data change, which costs about 100 ms per 10,000 points on the GUI thread. A cloud
whose points share one colour and size needs none of that: the coordinates go into a ``QPolygonF``
straight from numpy, and a round cosmetic pen of the point size draws them all.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen, QPolygonF

CLICK_RADIUS_PX = 6.0


class PointCloud(pg.GraphicsObject):
    """Points at (x, y), each with a dataset index in ``data``; ``sigClicked(self, index)`` on a click
    within a few pixels of a point (the nearest one)."""

    sigClicked = Signal(object, int)

    def __init__(self, color: QColor, size: float = 6.0) -> None:
        super().__init__()
        self.x = np.zeros(0)
        self.y = np.zeros(0)
        self.data = np.zeros(0, np.int64)
        self._polygon = QPolygonF()
        self._bounds = QRectF()
        self._size = size
        self.opts = {"pen": None, "symbol": "o", "size": size + 2, "brush": color, "antialias": True}  # legend sample
        self.setColor(color)

    def setColor(self, color: QColor) -> None:  # noqa: N802 - pyqtgraph naming
        self._pen = QPen(QColor(color), self._size, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        self._pen.setCosmetic(True)
        self.opts["brush"] = QColor(color)
        self.update()

    def setData(self, x: np.ndarray, y: np.ndarray, data: np.ndarray) -> None:  # noqa: N802 - pyqtgraph naming
        self.prepareGeometryChange()
        self.x = np.asarray(x, np.float64)
        self.y = np.asarray(y, np.float64)
        self.data = np.asarray(data, np.int64)
        self._polygon = pg.functions.create_qpolygonf(len(self.x))
        if len(self.x):
            points = pg.functions.ndarray_from_qpolygonf(self._polygon)
            points[:, 0], points[:, 1] = self.x, self.y
            self._bounds = QRectF(QPointF(self.x.min(), self.y.min()), QPointF(self.x.max(), self.y.max()))
        else:
            self._bounds = QRectF()
        self.informViewBoundsChanged()
        self.update()

    # -- pyqtgraph's view-range protocol -------------------------------------------------------------
    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802
        values = self.x if ax == 0 else self.y
        return (None, None) if len(values) == 0 else (float(values.min()), float(values.max()))

    def pixelPadding(self) -> float:  # noqa: N802
        return self._size

    def boundingRect(self) -> QRectF:  # noqa: N802
        if self._bounds.isNull() and not len(self.x):
            return QRectF()
        width, height = self.pixelWidth() or 0.0, self.pixelHeight() or 0.0
        pad_x, pad_y = width * self._size, height * self._size
        return self._bounds.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def viewTransformChanged(self) -> None:  # noqa: N802
        self.prepareGeometryChange()

    def paint(self, painter: QPainter, *args) -> None:
        if not len(self.x):
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # a third faster; points stay round
        painter.setPen(self._pen)
        painter.drawPoints(self._polygon)

    # -- clicks --------------------------------------------------------------------------------------
    def nearest(self, x: float, y: float) -> int:
        """Position (in ``data``) of the point nearest to (x, y) on screen within the click radius, or -1."""
        width, height = self.pixelWidth(), self.pixelHeight()
        if not len(self.x) or not width or not height:
            return -1
        distance = np.hypot((self.x - x) / width, (self.y - y) / height)
        best = int(np.argmin(distance))
        return best if distance[best] <= CLICK_RADIUS_PX else -1

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 - pyqtgraph override
        if ev.button() != Qt.MouseButton.LeftButton:
            return
        position = ev.pos()
        found = self.nearest(position.x(), position.y())
        if found >= 0:
            ev.accept()
            self.sigClicked.emit(self, int(self.data[found]))
        else:
            ev.ignore()
