"""The curves pane: losses, accuracies, MI terms and re-sampling counts of the run, with other runs overlaid.

One chart at a time (Loss, Accuracy, MI terms, Re-sampling, Other), its series ticked in a list beside
the plot. The x axis is the optimisation step, the epoch or the wall time. An EMA smoothing slider draws
the smoothed series over the faint raw one. Hovering reads out every curve at the cursor. The plot is
redrawn from a GUI timer only when the data or a setting changed, and only while the pane is visible:
within a frame of a change of setting, at most four times a second for new data of a running run, in a
frame of its own (see :class:`app.views.lazy.FrameQueue`).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSlider,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)
from shiboken6 import isValid

from app.prompts import Prompter
from app.session import Session
from app.state.curves import (
    CHARTS,
    DEFAULT_SERIES,
    X_AXES,
    CurveRun,
    axis_title,
    axis_units,
    chart_of,
    comparison_name,
    ema,
    series_label,
    series_unit,
    strip_split,
    write_curves_csv,
)
from app.style import GRID_ALPHA, apply_plot_palette, modality_color, plain_axes
from app.views.base import BOTTOM, View, ViewContext
from app.views.lazy import frame_queue

REPORT_FILTER = "ModaLens reports (*.h5);;All files (*)"
REFRESH_MS = 50
LIVE_REFRESH_MS = 250
RAW_ALPHA = 60
COMPARISON_STYLES = (Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine, Qt.PenStyle.DashDotDotLine, Qt.PenStyle.DashLine)
SPLIT_SYMBOLS = {"train": "o", "val": "t", "test": "s"}
OTHER_COLORS = ("#7b5ea7", "#4d8f5b", "#b8505f", "#3f8fa8", "#9a7b2c", "#7f7f7f", "#c061a3", "#5a6fc4")
MI_FAMILIES = ("I", "U", "LLR", "perm_importance")
LIST_CHROME_PX = 56  # check box, colour swatch, margins and scroll bar beside a series name
LIST_SHARE_MAX = 0.4  # the most of the pane's width the series list takes to show whole names


@dataclass
class _Curve:
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    run: str
    label: str
    signature: tuple = ()
    side: str = "left"  # the y axis it is drawn against


def series_color(series_id: str, modalities: list[str], position: int) -> QColor:
    """The modality's colour for per-modality series (lighter or darker by MI term), else a fixed colour."""
    base = strip_split(series_id.partition(":")[2])
    parts = base.split("/")
    for modality in modalities:
        if modality in parts[1:]:
            color = modality_color(modality, modalities)
            family = parts[1] if parts[0] == "mi" and len(parts) > 2 else ""
            shade = MI_FAMILIES.index(family) if family in MI_FAMILIES else 0
            return color.darker(100 + 40 * shade) if shade % 2 else color.lighter(100 + 25 * shade)
    return QColor(OTHER_COLORS[position % len(OTHER_COLORS)])


def split_of(series_id: str) -> str:
    level, _, key = series_id.partition(":")
    if level == "step":
        return "step"
    head = key.split("/", 1)[0]
    return head if head in SPLIT_SYMBOLS else "epoch"


class CurvesPane(View, QWidget):
    """Training curves of the session's run plus any reports added for comparison."""

    key = "curves"
    title = "Curves"
    area = BOTTOM

    redrawn = Signal()
    comparison_requested = Signal(str)  # a report file to read (in the background) and overlay

    @classmethod
    def build(cls, context: ViewContext) -> CurvesPane:
        pane = cls(context.session, context.prompter)
        context.controller.comparison_read.connect(pane.add_run)
        pane.comparison_requested.connect(context.controller.compare_report)
        return pane

    def __init__(self, session: Session, prompter: Prompter | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.prompter = prompter or Prompter()
        self.comparisons: dict[str, CurveRun] = {}
        self._checked: dict[str, set[str]] = {chart: set() for chart in CHARTS}
        self._known: dict[str, set[str]] = {chart: set() for chart in CHARTS}
        self._curves: dict[tuple[str, str], _Curve] = {}
        self._dirty = True
        self._setting_changed = True
        self._last_refresh = -1.0
        self._colors: dict[str, QColor] = {}

        self.chart = QComboBox()
        self.chart.addItems(CHARTS)
        self.chart.setToolTip("Which group of curves to show")
        self.x_axis = QComboBox()
        self.x_axis.addItems(X_AXES)
        self.x_axis.setToolTip("x axis: optimisation step, epoch, or seconds since the run started")
        self.smoothing = QSlider(Qt.Orientation.Horizontal)
        self.smoothing.setRange(0, 99)
        self.smoothing.setValue(60)
        self.smoothing.setMaximumWidth(140)
        self.smoothing.setToolTip("Exponential moving average weight (0: raw); the raw series stays faint behind")
        self.smoothing_label = QLabel()
        self.smoothing_label.setMinimumWidth(self.fontMetrics().horizontalAdvance("0.00 "))
        self.log_y = QCheckBox("log y")
        self.runs_button = QToolButton()
        self.runs_button.setText("Runs")
        self.runs_button.setToolTip("Overlay other runs' reports for comparison")
        self.runs_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.runs_menu = QMenu(self.runs_button)
        self.runs_menu.aboutToShow.connect(self._fill_runs_menu)
        self.runs_button.setMenu(self.runs_menu)
        self.export_button = QToolButton()
        self.export_button.setText("CSV…")
        self.export_button.setToolTip("Save the curves shown (raw and smoothed) as a CSV file")
        self.export_button.clicked.connect(self._export_dialog)

        self.plot = pg.PlotWidget()
        self.plot.setObjectName("curvesPlot")
        self.plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
        self.plot.setClipToView(True)
        self.plot.setDownsampling(auto=True, mode="peak")
        self.plot.setMinimumHeight(120)
        plain_axes(self.plot)
        plot_item = self.plot.getPlotItem()
        self.right_box = pg.ViewBox()  # series in another unit than the left axis', against the right axis
        plot_item.scene().addItem(self.right_box)
        plot_item.getAxis("right").linkToView(self.right_box)
        self.right_box.setXLink(plot_item)
        plot_item.vb.sigResized.connect(self._align_right_box)
        self._reset_view = True
        apply_plot_palette(self.plot, self.palette())
        self._hover_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen((128, 128, 128), style=Qt.PenStyle.DashLine))
        self._hover_text = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(128, 128, 128, 40))
        for item in (self._hover_line, self._hover_text):
            item.setZValue(100)
            item.hide()
            self.plot.addItem(item, ignoreBounds=True)
        self._mouse_proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=30, slot=self._mouse_moved)
        self.series_list = QListWidget()
        self.series_list.setObjectName("seriesList")
        self.series_list.setToolTip("Tick the curves to draw; '(step)' curves are per optimisation step")
        self.series_list.itemChanged.connect(self._series_toggled)
        self.series_list.setMinimumWidth(self.fontMetrics().horizontalAdvance("train/loss/audio (step)") + 48)
        self.series_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # a cut name keeps its modality

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for widget in (self.chart, QLabel("x:"), self.x_axis, QLabel("smoothing"), self.smoothing,
                       self.smoothing_label, self.log_y):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.runs_button)
        bar.addWidget(self.export_button)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.plot)
        splitter.addWidget(self.series_list)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([600, 180])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._tick)
        self.chart.currentTextChanged.connect(self._chart_changed)
        self.x_axis.currentTextChanged.connect(self._settings_changed)
        self.smoothing.valueChanged.connect(self._settings_changed)
        self.log_y.toggled.connect(self._log_toggled)
        for signal in (session.metrics_changed, session.resampling_changed):
            signal.connect(self._data_changed)
        session.dataset_changed.connect(self._dataset_changed)
        self._settings_changed()

    # -- public API ------------------------------------------------------------------------------
    def set_chart(self, name: str) -> None:
        if name not in CHARTS:
            raise ValueError(f"unknown chart {name!r}; charts: {', '.join(CHARTS)}")
        self.chart.setCurrentText(name)

    def set_x_axis(self, axis: str) -> None:
        if axis not in X_AXES:
            raise ValueError(f"unknown x axis {axis!r}; expected one of {', '.join(X_AXES)}")
        self.x_axis.setCurrentText(axis)

    def set_smoothing(self, weight: float) -> None:
        self.smoothing.setValue(round(weight * 100))

    def smoothing_weight(self) -> float:
        return self.smoothing.value() / 100.0

    def set_series_checked(self, series_id: str, checked: bool) -> None:
        chart = chart_of(series_id.partition(":")[2])
        (self._checked[chart].add if checked else self._checked[chart].discard)(series_id)
        self._fill_series_list()
        self.mark_dirty()

    def add_comparison(self, report, name: str | None = None) -> str:
        """Overlay an open report's curves; returns the name shown for it."""
        return self.add_run(CurveRun.from_report(report, name or comparison_name(report.path)))

    def add_run(self, run: CurveRun) -> str:
        """Overlay a run's curves (named after it, numbered when the name is taken); returns the name shown."""
        name, n = run.name, 1
        while name in self.comparisons or name == "current run":
            n += 1
            name = f"{run.name} ({n})"
        self.comparisons[name] = dataclasses.replace(run, name=name)
        self.mark_dirty()
        return name

    def remove_comparison(self, name: str) -> None:
        self.comparisons.pop(name)
        self.mark_dirty()

    def mark_dirty(self) -> None:
        """Redraw within a frame (a setting or the curves chosen changed)."""
        self._dirty = True
        self._setting_changed = True

    def _data_changed(self) -> None:
        self._dirty = True

    def refresh(self) -> None:
        """Redraw now (the timer calls this only when something changed and the pane is visible)."""
        self._dirty = self._setting_changed = False
        self._last_refresh = time.monotonic()
        runs = self._runs()
        self._update_known(runs)
        chart = self.chart.currentText()
        axis = self.x_axis.currentText()
        weight = self.smoothing_weight()
        wanted: dict[tuple[str, str], tuple[CurveRun, int]] = {}
        for position, run in enumerate(runs):
            for series_id in self._checked[chart]:
                wanted[(run.name, series_id)] = (run, position)
        for key in [k for k in self._curves if k not in wanted]:
            self._place(self._curves.pop(key), "")
        primary, others = axis_units([series_id for _, series_id in wanted])
        if self._reset_view:
            self._reset_view = False
            self._empty_view()
        for key, (run, position) in wanted.items():
            x, y = run.points(key[1], axis)
            curve = self._curves.get(key) or self._new_curve(key, position)
            self._place(curve, "left" if series_unit(key[1].partition(":")[2]) == primary else "right")
            signature = (axis, weight, len(x), float(x[-1]) if len(x) else None, float(y[-1]) if len(y) else None)
            if signature == curve.signature:
                continue  # unchanged: no new data, no repaint
            curve.signature = signature
            curve.raw.setData(x, y)
            curve.raw.setVisible(weight > 0)
            curve.smooth.setData(x, ema(y, weight) if weight > 0 else y)
        self.plot.setLabel("bottom", {"step": "step", "epoch": "epoch", "wall time": "wall time (s)"}[axis])
        self._label_y_axes(chart, primary, others)
        if not any(curve.smooth.xData is not None and len(curve.smooth.xData) for curve in self._curves.values()):
            self._empty_view()  # nothing to draw: no axes left over from the run shown before
        self.redrawn.emit()

    def _label_y_axes(self, chart: str, primary: str, others: list[str]) -> None:
        plot_item = self.plot.getPlotItem()
        left = plot_item.getAxis("left")
        if primary:
            left.setLabel(axis_title(chart, primary))
        else:
            left.showLabel(False)
        if others:
            plot_item.showAxis("right")
            plot_item.getAxis("right").setLabel(", ".join(axis_title(chart, unit) for unit in others))
            apply_plot_palette(self.plot, self.palette())
        else:
            plot_item.hideAxis("right")

    def _empty_view(self) -> None:
        """Both y axes back to a plain 0–1 range that fits the next data drawn."""
        for box in (self.plot.getPlotItem().vb, self.right_box):
            box.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            box.enableAutoRange()

    def _place(self, curve: _Curve, side: str) -> None:
        """Draw ``curve`` against the ``side`` ("left" or "right") y axis; "" takes it off the plot."""
        if curve.side == side:
            return
        for item in (curve.raw, curve.smooth):
            if curve.side == "left":
                self.plot.removeItem(item)
            elif curve.side == "right":
                self.right_box.removeItem(item)
            if side == "left":
                self.plot.addItem(item)
            elif side == "right":
                self.right_box.addItem(item)
                item.setLogMode(False, self.log_y.isChecked())
        curve.side = side

    def _align_right_box(self) -> None:
        plot_box = self.plot.getPlotItem().vb
        self.right_box.setGeometry(plot_box.sceneBoundingRect())
        self.right_box.linkedViewChanged(plot_box, self.right_box.XAxis)

    def curve_data(self, run: str, series_id: str) -> tuple[np.ndarray, np.ndarray]:
        """The (x, smoothed y) drawn for one curve (for checks and read-outs)."""
        curve = self._curves[(run, series_id)]
        return curve.smooth.xData, curve.smooth.yData

    def shown_curves(self) -> list[tuple[str, str]]:
        return sorted(self._curves)

    def export_csv(self, path: str | Path) -> Path:
        """Write every curve shown (x, raw and smoothed values) to a CSV file, atomically."""
        if self._dirty:
            self.refresh()
        weight = self.smoothing_weight()
        rows = []
        for (run_name, series_id), curve in sorted(self._curves.items()):
            x, y = curve.raw.xData, curve.raw.yData
            if x is None:
                continue
            rows.append((run_name, series_label(series_id), x, y, ema(y, weight) if weight > 0 else y))
        return write_curves_csv(path, rows, self.x_axis.currentText())

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            apply_plot_palette(self.plot, self.palette())

    def shutdown(self) -> None:
        self.timer.stop()

    # -- refresh machinery -----------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.timer.stop()
        frame_queue().cancel(self)
        super().hideEvent(event)

    def _tick(self) -> None:
        live_due = (time.monotonic() - self._last_refresh) * 1000.0 >= LIVE_REFRESH_MS
        if self._dirty and (self._setting_changed or live_due):
            frame_queue().schedule(self, self._refresh_if_due)

    def _refresh_if_due(self) -> None:
        if isValid(self) and self._dirty and self.isVisible():
            self.refresh()

    def _runs(self) -> list[CurveRun]:
        current = [CurveRun.from_session(self.session)] if self.session.dataset is not None else []
        return current + list(self.comparisons.values())

    def _dataset_changed(self) -> None:
        self._reset_view = True  # another run: its own axes, not the zoom of the one before
        self._known = {chart: set() for chart in CHARTS}
        for curve in self._curves.values():
            curve.signature = ()
        self._fill_series_list()
        self.mark_dirty()

    def _update_known(self, runs: list[CurveRun]) -> None:
        added = False
        for run in runs:
            for series_id in run.series_ids():
                chart = chart_of(series_id.partition(":")[2])
                if series_id not in self._known[chart]:
                    self._known[chart].add(series_id)
                    if series_id in DEFAULT_SERIES[chart] or self._wants_by_default(chart, series_id):
                        self._checked[chart].add(series_id)
                    added = True
        if added:
            self._fill_series_list()

    def _wants_by_default(self, chart: str, series_id: str) -> bool:
        """Charts with none of their default series get their first few series ticked."""
        if any(s in self._known[chart] for s in DEFAULT_SERIES[chart]):
            return False
        return len(self._checked[chart]) < 4 and series_id.startswith("epoch:")

    def _new_curve(self, key: tuple[str, str], run_position: int) -> _Curve:
        run_name, series_id = key
        color = self._color(series_id)
        style = Qt.PenStyle.SolidLine if run_position == 0 else COMPARISON_STYLES[(run_position - 1) % len(COMPARISON_STYLES)]
        split = split_of(series_id)
        width = 1.2 if split == "step" else 2.0
        faint = QColor(color)
        faint.setAlpha(RAW_ALPHA)
        raw = pg.PlotDataItem(pen=pg.mkPen(faint, width=1, style=style))
        symbol = SPLIT_SYMBOLS.get(split)
        smooth = pg.PlotDataItem(
            pen=pg.mkPen(color, width=width, style=style),
            symbol=symbol,
            symbolSize=6,
            symbolBrush=color,
            symbolPen=None,
            name=f"{run_name}: {series_label(series_id)}",
        )
        for item in (raw, smooth):
            item.setDownsampling(auto=True, method="peak")
            item.setClipToView(True)
        curve = _Curve(raw, smooth, run_name, series_label(series_id), side="")
        self._place(curve, "left")
        self._curves[key] = curve
        return curve

    def _color(self, series_id: str) -> QColor:
        if series_id not in self._colors:
            modalities = self.session.dataset.modalities if self.session.dataset is not None else []
            base = strip_split(series_id.partition(":")[2])
            bases = sorted({strip_split(s.partition(":")[2]) for s in self._colors} | {base})
            self._colors[series_id] = series_color(series_id, modalities, bases.index(base))
        return self._colors[series_id]

    # -- controls --------------------------------------------------------------------------------
    def _chart_changed(self) -> None:
        self._fill_series_list()
        self.log_y.blockSignals(True)
        self.log_y.setChecked(False)
        self.log_y.blockSignals(False)
        self._log_toggled(False)

    def _settings_changed(self) -> None:
        self.smoothing_label.setText(f"{self.smoothing_weight():.2f}")
        self.mark_dirty()

    def _log_toggled(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=on)
        self.plot.getPlotItem().getAxis("right").setLogMode(False, on)
        for curve in self._curves.values():
            curve.signature = ()
            if curve.side == "right":
                curve.raw.setLogMode(False, on)
                curve.smooth.setLogMode(False, on)
        self.mark_dirty()

    def _fill_series_list(self) -> None:
        chart = self.chart.currentText()
        self.series_list.blockSignals(True)
        self.series_list.clear()
        for series_id in sorted(self._known[chart], key=lambda s: (strip_split(s.partition(":")[2]), s)):
            item = QListWidgetItem(series_label(series_id))
            item.setToolTip(series_label(series_id))  # the whole name, when the list is narrow
            item.setData(Qt.ItemDataRole.UserRole, series_id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if series_id in self._checked[chart] else Qt.CheckState.Unchecked)
            item.setIcon(_swatch(self._color(series_id), split_of(series_id)))
            self.series_list.addItem(item)
        self.series_list.blockSignals(False)
        self._fit_series_list()

    def _fit_series_list(self) -> None:
        """Widen the series list to its longest name, up to a share of the pane, so names are not cut."""
        labels = [self.series_list.item(i).text() for i in range(self.series_list.count())]
        if not labels:
            return
        needed = max(self.fontMetrics().horizontalAdvance(text) for text in labels) + LIST_CHROME_PX
        plot_width, list_width = self.splitter.sizes()
        total = plot_width + list_width
        if total > 0 and list_width < needed:
            side = min(needed, int(total * LIST_SHARE_MAX))
            self.splitter.setSizes([total - side, side])

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_series_list()

    def _series_toggled(self, item: QListWidgetItem) -> None:
        series_id = item.data(Qt.ItemDataRole.UserRole)
        chart = self.chart.currentText()
        if item.checkState() == Qt.CheckState.Checked:
            self._checked[chart].add(series_id)
        else:
            self._checked[chart].discard(series_id)
        self.mark_dirty()

    def _fill_runs_menu(self) -> None:
        self.runs_menu.clear()
        self.runs_menu.addAction("Add a report to compare…", self._add_comparison_dialog)
        if self.comparisons:
            self.runs_menu.addSeparator()
            names = ["current run (solid)"] + [
                f"{name} ({COMPARISON_STYLES[i % len(COMPARISON_STYLES)].name.removesuffix('Line').lower()})"
                for i, name in enumerate(self.comparisons)
            ]
            for label in names:
                self.runs_menu.addAction(label).setEnabled(False)
            self.runs_menu.addSeparator()
            for name in list(self.comparisons):
                self.runs_menu.addAction(f"Remove {name}", partial(self.remove_comparison, name))

    def _add_comparison_dialog(self) -> None:
        path = self.prompter.open_file(self, "Add a report to compare", "", REPORT_FILTER)
        if path:
            self.comparison_requested.emit(path)

    def _export_dialog(self) -> None:
        start = f"{self.chart.currentText().lower().replace(' ', '-')}.csv"
        path = self.prompter.save_file(self, "Export curves as CSV", start, "CSV (*.csv)")
        if not path:
            return
        try:
            self.export_csv(path)
        except OSError as exc:
            self.prompter.error(self, "Cannot write CSV", f"{path}: {exc.strerror or exc}")

    # -- hover read-out --------------------------------------------------------------------------
    def _mouse_moved(self, args) -> None:
        position = args[0]
        box = self.plot.getPlotItem().vb
        if not self._curves or not self.plot.sceneBoundingRect().contains(position) or not box.sceneBoundingRect().contains(position):
            self._hover_line.hide()
            self._hover_text.hide()
            return
        point = box.mapSceneToView(position)
        lines = []
        x_shown = point.x()
        for key in sorted(self._curves):
            curve = self._curves[key]
            x, y = curve.smooth.xData, curve.smooth.yData
            if x is None or len(x) == 0:
                continue
            i = int(np.clip(np.searchsorted(x, point.x()), 1, len(x) - 1)) if len(x) > 1 else 0
            if len(x) > 1 and abs(x[i - 1] - point.x()) < abs(x[i] - point.x()):
                i -= 1
            color = curve.smooth.opts["pen"].color().name()
            prefix = f"{curve.run} · " if self.comparisons else ""
            lines.append(f'<span style="color:{color}">■</span> {prefix}{curve.label}: <b>{y[i]:.4g}</b>')
            x_shown = x[i] if len(lines) == 1 else x_shown
        if not lines:
            return
        axis = self.x_axis.currentText()
        head = f"{axis} {x_shown:.4g}" + (" s" if axis == "wall time" else "")
        self._hover_text.setHtml(f'<div style="font-size:9pt">{head}<br>{"<br>".join(lines)}</div>')
        self._hover_line.setPos(point.x())
        (x0, x1), (y0, y1) = box.viewRange()
        left = point.x() > (x0 + x1) / 2
        self._hover_text.setAnchor((0, 0) if left else (1, 0))
        self._hover_text.setPos(QPointF(x0 if left else x1, y1))
        self._hover_line.show()
        self._hover_text.show()


def _swatch(color: QColor, split: str) -> QIcon:
    """A small line sample in the series' colour, with its split's marker."""
    pixmap = QPixmap(22, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(color, 1 if split == "step" else 2))
    painter.drawLine(1, 6, 21, 6)
    if split in SPLIT_SYMBOLS:
        painter.setBrush(color)
        painter.drawEllipse(QPointF(11, 6), 3, 3)
    painter.end()
    return QIcon(pixmap)
