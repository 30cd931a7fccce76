"""φ over the whole dataset: a histogram per modality and a φ_a-vs-φ_b scatter whose brushing selects samples."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from app.style import (
    apply_plot_palette,
    color_key,
    correctness_color,
    modality_color,
    modality_colors,
    plain_axes,
    text_color,
    with_alpha,
)
from app.views.base import BOTTOM, View
from app.views.epoch_chooser import EpochChooser, epoch_label
from app.views.lazy import BURST_MS
from app.views.point_cloud import PointCloud
from app.views.queries import epoch_values, tie_share
from app.widgets.tooltip import with_tip
from core.run_files import RunState

HISTOGRAM_BINS = 40
JITTER_SEED = 20240611  # fixed so that each sample keeps its jitter offset across refreshes


class BrushViewBox(pg.ViewBox):
    """A ViewBox where a left-button drag draws a rectangle and emits it in data coordinates.

    Middle-button drag pans and right-button drag zooms, as in any pyqtgraph plot.
    """

    sigBrushed = Signal(object, object)  # QRectF in data coordinates, keyboard modifiers

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802 (pyqtgraph override)
        if ev.button() != Qt.MouseButton.LeftButton or axis is not None:
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        start, end = ev.buttonDownPos(ev.button()), ev.pos()
        if ev.isFinish():
            self.rbScaleBox.hide()
            rect = self.childGroup.mapRectFromParent(QRectF(QPointF(start), QPointF(end)).normalized())
            self.sigBrushed.emit(rect, ev.modifiers())
        else:
            self.updateScaleBox(start, end)


class DatasetPlot(View, QWidget):
    """Histogram of φ per modality and a scatter of φ of one modality against another.

    Points are coloured by whether the model's prediction was right. Drag a rectangle on the scatter
    (left button) to select the samples inside it (Shift adds to the selection); click a point to
    select that sample. With the benefit payoff φ takes few distinct values, so points can be
    jittered by a small random offset to show how many share a position.
    """

    key = "datasetPlot"
    title = "φ over the dataset"
    area = BOTTOM

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.epoch_chooser = EpochChooser(session)
        self.x_combo = with_tip(QComboBox(), "Modality on the scatter's horizontal axis")
        self.y_combo = with_tip(QComboBox(), "Modality on the scatter's vertical axis")
        self.jitter_box = with_tip(QCheckBox("jitter"), "Spread points that share a value")
        self.jitter_box.setChecked(True)
        self.jitter_amount = with_tip(
            QDoubleSpinBox(decimals=3, minimum=0.0, maximum=0.2, singleStep=0.005, value=0.06),
            "Jitter as a fraction of each axis' range",
        )
        self.note = QLabel(wordWrap=True)  # on a line of its own: it must not widen the pane

        self.histogram = pg.PlotWidget()
        self.histogram.setLabel("bottom", "φ")
        self.histogram.setLabel("left", "samples")
        self.histogram.setMouseEnabled(y=False)
        self.brush_box = BrushViewBox()
        self.scatter_plot = pg.PlotWidget(viewBox=self.brush_box)
        self.scatter_plot.setToolTip("Drag a rectangle to select samples (Shift: add); right-drag zooms")
        self.right_points = PointCloud(with_alpha(correctness_color(True), 170))
        self.wrong_points = PointCloud(with_alpha(correctness_color(False), 170))
        self.selected_points = pg.ScatterPlotItem(size=10, brush=None)
        for item in (self.right_points, self.wrong_points, self.selected_points):
            self.scatter_plot.addItem(item)
        for plot in (self.histogram, self.scatter_plot):
            plain_axes(plot)
            plot.getPlotItem().hideButtons()

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        for widget in (QLabel("φ of"), self.epoch_chooser, QLabel("x"), self.x_combo, QLabel("y"), self.y_combo,
                       self.jitter_box, self.jitter_amount):
            controls.addWidget(widget)
        controls.addStretch(1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.histogram)
        splitter.addWidget(self.scatter_plot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(controls)
        layout.addWidget(self.note)
        layout.addWidget(splitter, 1)

        self._phi = np.zeros((0, 0), np.float32)
        self._correct = np.zeros(0, np.int8)
        self._jitter_unit = np.zeros((0, 2))
        self._shown = (np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
        self._hist = (np.zeros(0), np.zeros((0, 0), np.int64))
        self._hist_curves: dict[str, pg.PlotDataItem] = {}
        self._titles: dict[int, str] = {}
        self._lazy = self.refresh_when_visible(self._refresh)
        self._dataset_stale = True
        self._apply_palette()

        for signal in (self.x_combo.currentIndexChanged, self.y_combo.currentIndexChanged,
                       self.jitter_box.toggled, self.jitter_amount.valueChanged):
            signal.connect(self._draw_scatter)
        self.epoch_chooser.epoch_changed.connect(self._lazy.request)
        self.brush_box.sigBrushed.connect(self._brushed)
        self.right_points.sigClicked.connect(self._clicked)
        self.wrong_points.sigClicked.connect(self._clicked)
        session.dataset_changed.connect(self._dataset_changed)
        session.valuation_added.connect(self._valuation_added)
        session.value_fn_changed.connect(lambda _: self._lazy.request_later())
        session.selection_changed.connect(self._draw_selection)
        self._lazy.request()

    # -- public ------------------------------------------------------------------------------
    def set_axes(self, x: str, y: str) -> None:
        """Plot φ of modality ``x`` against φ of modality ``y``."""
        self._lazy.flush()
        for combo, name in ((self.x_combo, x), (self.y_combo, y)):
            position = combo.findText(name)
            if position < 0:
                raise ValueError(f"unknown modality {name!r} (choices: {self._modalities()})")
            combo.setCurrentIndex(position)

    def set_jitter(self, amount: float) -> None:
        """Jitter points by up to ± ``amount``/2 of each axis' range (0: off)."""
        self.jitter_amount.setValue(amount)
        self.jitter_box.setChecked(amount > 0)

    def scatter_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(x, y, dataset index) of every point drawn, at their drawn (jittered) positions."""
        self._lazy.flush()
        return self._shown

    def select_rect(self, x0: float, x1: float, y0: float, y1: float, add: bool = False) -> np.ndarray:
        """Select the samples drawn inside the rectangle (``add``: keep the current selection too)."""
        x, y, index = self.scatter_points()
        inside = index[(x >= min(x0, x1)) & (x <= max(x0, x1)) & (y >= min(y0, y1)) & (y <= max(y0, y1))]
        chosen = np.union1d(self.session.selection, inside) if add else inside
        self.session.select(chosen)
        return inside

    def histogram_counts(self) -> tuple[np.ndarray, np.ndarray]:
        """(bin edges [B+1], counts per modality [M, B]) of the histogram on show."""
        self._lazy.flush()
        return self._hist

    # -- session → plot ----------------------------------------------------------------------
    def _dataset_changed(self) -> None:
        self._dataset_stale = True
        self._lazy.request_later()

    def _valuation_added(self, _split: str, epoch: int) -> None:
        if self.epoch_chooser.epoch() in (None, epoch):  # a live run's split valuations of one epoch: one redraw
            self._lazy.request_later(BURST_MS if self.session.run_state == RunState.RUNNING else 0)

    def _modalities(self) -> list[str]:
        return list(self.session.dataset.modalities) if self.session.dataset is not None else []

    def _refresh(self) -> None:
        if self._dataset_stale:
            self._dataset_stale = False
            modalities = self._modalities()
            for combo, default in ((self.x_combo, 0), (self.y_combo, 1)):
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(modalities)
                combo.setCurrentIndex(min(default, len(modalities) - 1))
                combo.blockSignals(False)
            n = len(self.session.dataset) if self.session.dataset is not None else 0
            self._jitter_unit = np.random.default_rng(JITTER_SEED).uniform(-0.5, 0.5, (n, 2))
        values = epoch_values(self.session, self.epoch_chooser.epoch())
        self._phi, self._correct = values.phi, values.correct
        valued = int(values.valued.sum())
        ties = tie_share(values.phi)
        self.note.setText(
            f"{valued:,} valued samples · {epoch_label(values.epoch)} · exact ties between modalities "
            f"{100 * (ties or 0.0):.0f} %" if valued and values.epoch is not None else "not valued yet"
        )
        self._draw_histogram()
        self._draw_scatter()

    def _histogram_curves(self, modalities: list[str]) -> dict[str, pg.PlotDataItem]:
        """One step curve per modality, made when the modalities change and then only given new data."""
        if list(self._hist_curves) != modalities:
            for curve in self._hist_curves.values():
                self.histogram.removeItem(curve)
            self._hist_curves = {}
            for modality in modalities:
                color = modality_color(modality, modalities)
                curve = pg.PlotDataItem(stepMode="center", fillLevel=0, pen=pg.mkPen(color, width=2),
                                        brush=with_alpha(color, 60), name=modality)
                self.histogram.addItem(curve)
                self._hist_curves[modality] = curve
        return self._hist_curves

    def _draw_histogram(self) -> None:
        modalities = self._modalities()
        curves = self._histogram_curves(modalities)
        finite = self._phi[np.isfinite(self._phi)]
        self._set_title(self.histogram, "φ per modality: " + color_key(modalities, modality_colors(modalities))
                        if len(finite) else "φ per modality (no valuation yet)")
        if len(finite) == 0:
            self._hist = (np.zeros(0), np.zeros((len(modalities), 0), np.int64))
            for curve in curves.values():
                curve.hide()
            self.histogram.setXRange(-1, 1, padding=0)
            self.histogram.setYRange(0, 1, padding=0)
            return
        low, high = float(finite.min()), float(finite.max())
        edges = np.linspace(low, high, HISTOGRAM_BINS + 1) if high > low else np.array([low - 0.5, low + 0.5])
        counts = []
        for position, modality in enumerate(modalities):
            column = self._phi[:, position]
            count, _ = np.histogram(column[np.isfinite(column)], bins=edges)
            counts.append(count)
            curves[modality].setData(edges, count)
            curves[modality].show()
        self._hist = (edges, np.asarray(counts, np.int64))
        self.histogram.getPlotItem().enableAutoRange()

    def _draw_scatter(self) -> None:
        if self._lazy.stale:
            return
        modalities = self._modalities()
        a, b = self.x_combo.currentIndex(), self.y_combo.currentIndex()
        empty = (np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
        if a < 0 or b < 0 or len(self._phi) == 0:
            self._shown = empty
        else:
            index = np.flatnonzero(np.isfinite(self._phi[:, a]) & np.isfinite(self._phi[:, b]))
            x = self._phi[index, a].astype(np.float64)
            y = self._phi[index, b].astype(np.float64)
            if self.jitter_box.isChecked() and self.jitter_amount.value() > 0 and len(index):
                amount = self.jitter_amount.value()
                x = x + self._jitter_unit[index, 0] * amount * (float(np.ptp(x)) or 1.0)
                y = y + self._jitter_unit[index, 1] * amount * (float(np.ptp(y)) or 1.0)
            self._shown = (x, y, index)
        x, y, index = self._shown
        right = self._correct[index] == 1 if len(index) else np.zeros(0, bool)
        for item, keep in ((self.right_points, right), (self.wrong_points, ~right)):
            item.setData(x[keep], y[keep], index[keep])
        key = color_key(["right", "wrong"], [correctness_color(True), correctness_color(False)])
        self._set_title(self.scatter_plot, f"prediction: {key}" if len(index) else "φ against φ (no valuation yet)")
        if len(index):
            self.scatter_plot.getPlotItem().enableAutoRange()
        else:
            self.scatter_plot.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
        if a >= 0 and b >= 0:
            self.scatter_plot.setLabel("bottom", f"φ {modalities[a]}", color=modality_color(modalities[a], modalities).name())
            self.scatter_plot.setLabel("left", f"φ {modalities[b]}", color=modality_color(modalities[b], modalities).name())
        self._draw_selection()

    def _draw_selection(self) -> None:
        if self._lazy.stale:
            return
        x, y, index = self._shown
        picked = np.isin(index, self.session.selection)
        self.selected_points.setData(x[picked], y[picked], pen=pg.mkPen(text_color(self.palette()), width=1))

    # -- plot → session ----------------------------------------------------------------------
    def _brushed(self, rect: QRectF, modifiers: Qt.KeyboardModifier) -> None:
        add = bool(modifiers & Qt.KeyboardModifier.ShiftModifier)
        self.select_rect(rect.left(), rect.right(), rect.top(), rect.bottom(), add=add)

    def _clicked(self, _item, index: int) -> None:
        self.session.select([index])

    # -- appearance --------------------------------------------------------------------------
    def _set_title(self, plot: pg.PlotWidget, text: str) -> None:
        if self._titles.get(id(plot)) != text:  # laying out a title's rich text is slow: only when it changes
            self._titles[id(plot)] = text
            plot.setTitle(text, color=text_color(self.palette()).name(), size="9pt")

    def _apply_palette(self) -> None:
        for plot in (self.histogram, self.scatter_plot):
            apply_plot_palette(plot, self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
            self._titles.clear()  # their colour follows the palette
            self._lazy.request()
        super().changeEvent(event)
