"""The Compare view: two runs side by side, sample by sample.

:mod:`core.experiments.compare` computes the comparison (in a background task, see
``AppController.compare_runs``); this view only shows it: a summary (accuracy of each run, B − A with its
bootstrap interval, how many samples B fixed and broke), per-modality and per-class tables, every compared
sample's φ in A against B coloured by outcome (click a point to select that sample), the current sample's φ
bars of both runs side by side, and a choice that filters the browser to the samples B fixed, broke, or
both runs got right or wrong.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from app.style import (
    CORRECT_COLOR,
    GRID_ALPHA,
    INCORRECT_COLOR,
    NEUTRAL_COLOR,
    apply_plot_palette,
    color_key,
    modality_colors,
    plain_axes,
    with_alpha,
)
from app.views.base import BOTTOM, View
from app.views.point_cloud import PointCloud
from app.views.queries import valued_epochs
from app.widgets.tooltip import with_tip
from core.experiments import BOTH_RIGHT, BOTH_WRONG, BROKEN, FIXED, Comparison, compare_runs, gap, report_path
from core.run_files import REPORT_NAME

ALL = "all"
CATEGORIES = (FIXED, BROKEN, BOTH_RIGHT, BOTH_WRONG)
CATEGORY_TEXT = {FIXED: "fixed by B", BROKEN: "broken by B", BOTH_RIGHT: "both right", BOTH_WRONG: "both wrong"}
# as core.figures.plots.OUTCOME_COLORS (the paper figure of the same scatter)
CATEGORY_COLORS = {FIXED: CORRECT_COLOR, BROKEN: INCORRECT_COLOR, BOTH_RIGHT: "#C8C8C8", BOTH_WRONG: "#606060"}
DRAW_ORDER = (BOTH_RIGHT, BOTH_WRONG, FIXED, BROKEN)  # the rare outcomes on top
JITTER_SEED = 20240612
JITTER_SHARE = 0.03  # of each axis' range: φ often takes few values, so points would sit on each other
BAR_OFFSET = 0.2
HINT = "Compare two runs sample by sample: File → Compare runs…, or File → Open experiment… and pick two runs."


@dataclass(frozen=True)
class ComparedRuns:
    """A comparison and what it compared: the two reports and the names shown for them."""

    comparison: Comparison
    names: tuple[str, str]
    reports: tuple[Path, Path]


def run_name(report: Path) -> str:
    """A run's name: its folder's for a run's own report, else the file's stem."""
    return report.parent.name if report.name == REPORT_NAME and report.parent.name else report.stem


def compare_reports(run_a: str | Path, run_b: str | Path, split: str = "test", rule: str = "best") -> ComparedRuns:
    """Compare two runs (folders or reports) on ``split`` (the job of the background task; no Qt)."""
    reports = (report_path(run_a), report_path(run_b))
    comparison = compare_runs(run_a, run_b, split, rule)
    return ComparedRuns(comparison, (run_name(reports[0]), run_name(reports[1])), reports)


def dataset_rows(ids: np.ndarray, dataset_ids: np.ndarray) -> np.ndarray:
    """Per compared sample id, its row in a dataset listing ``dataset_ids`` (-1 where it has none)."""
    where = {sample: row for row, sample in enumerate(np.asarray(dataset_ids, dtype=str).tolist())}
    return np.asarray([where.get(str(sample), -1) for sample in ids.tolist()], np.int64)


def _n(value: float | None, signed: bool = False) -> str:
    if value is None or math.isnan(value):
        return "–"
    return f"{value:+.3f}" if signed else f"{value:.3f}"


def _swatch(color: str) -> str:
    return f"<span style='color:{color}'>■</span>"


class CompareView(View, QWidget):
    """Shows a :class:`ComparedRuns` (see the module docstring). ``browser_filter_requested(rows, caption)``
    asks the browser to keep only dataset ``rows`` (None: every sample); ``epoch_requested(epoch)`` asks it
    to show the epoch compared, once the report on show is one of the two runs."""

    key = "compare"
    title = "Compare runs"
    area = BOTTOM

    browser_filter_requested = Signal(object, str)
    epoch_requested = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.summary = QLabel(HINT)
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.browser_choice = with_tip(QComboBox(), "Which compared samples the sample browser lists")
        self.browser_choice.addItem("all samples", ALL)
        for category in CATEGORIES:
            self.browser_choice.addItem(CATEGORY_TEXT[category], category)
        self.browser_choice.setEnabled(False)
        self.modality_table = QTableWidget()
        self.class_table = QTableWidget()
        for table in (self.modality_table, self.class_table):
            table.verticalHeader().hide()
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tables = QStackedWidget()  # (not tabs: a tab bar inside a tabbed pane reads as a second row of panes)
        self.table_choice = with_tip(QComboBox(), "Figures per modality or per class")
        for text, table in (("per modality", self.modality_table), ("per class", self.class_table)):
            self.table_choice.addItem(text)
            self.tables.addWidget(table)
        self.table_choice.currentIndexChanged.connect(self.tables.setCurrentIndex)

        self.modality_combo = with_tip(QComboBox(), "Modality whose φ is plotted, A across and B up")
        self.jitter_box = with_tip(QCheckBox("jitter"), "Spread points that share a value")
        self.jitter_box.setChecked(True)
        self.scatter = pg.PlotWidget()
        self.scatter.setToolTip("Each compared sample's φ in A (across) and in B (up); click a point to select it")
        self.points = {category: PointCloud(with_alpha(QColor(CATEGORY_COLORS[category]), 200)) for category in DRAW_ORDER}
        for cloud in self.points.values():
            self.scatter.addItem(cloud)
            cloud.sigClicked.connect(self._clicked)
        self.diagonal = pg.InfiniteLine(pos=(0, 0), angle=45, pen=pg.mkPen(NEUTRAL_COLOR, width=1))
        self.scatter.addItem(self.diagonal)
        self.marker = pg.ScatterPlotItem(size=14, brush=None, pen=pg.mkPen(NEUTRAL_COLOR, width=2))
        self.scatter.addItem(self.marker)
        self.bars_title = QLabel("Select a compared sample to see its φ in both runs.")
        self.bars_title.setWordWrap(True)
        self.bars_title.setTextFormat(Qt.TextFormat.RichText)
        self.bars = pg.PlotWidget()
        self.bar_items = (pg.BarGraphItem(x=[], height=[], width=0.36), pg.BarGraphItem(x=[], height=[], width=0.36))
        for item in self.bar_items:
            self.bars.addItem(item)
        self.bars.addItem(pg.InfiniteLine(pos=0, angle=0, pen=pg.mkPen(NEUTRAL_COLOR, width=1)))
        for plot in (self.scatter, self.bars):
            plain_axes(plot)
            plot.getPlotItem().hideButtons()
            plot.showGrid(x=True, y=True, alpha=GRID_ALPHA)
        self.bars.setMouseEnabled(x=False, y=False)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        choice = QHBoxLayout()
        choice.addWidget(QLabel("Show in browser"))
        choice.addWidget(self.browser_choice, 1)
        choice.addWidget(self.table_choice)
        left_layout.addLayout(choice)
        left_layout.addWidget(self.tables, 1)
        middle = QWidget()
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("φ of"))
        controls.addWidget(self.modality_combo)
        controls.addWidget(self.jitter_box)
        controls.addStretch(1)
        middle_layout.addLayout(controls)
        middle_layout.addWidget(self.scatter, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.bars_title)
        right_layout.addWidget(self.bars, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget, share in ((left, 4), (middle, 5), (right, 3)):
            splitter.addWidget(widget)
            splitter.setStretchFactor(splitter.count() - 1, share)
        splitter.setSizes([400, 500, 300])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)

        self._result: ComparedRuns | None = None
        self._rows = np.zeros(0, np.int64)  # per compared sample, its row in the dataset on show (-1: none)
        self._position = -1  # the compared sample whose bars are shown
        self._jitter = np.zeros((0, 2))
        self._epoch_shown = False  # the browser was asked to show the compared epoch of the run on show
        self._apply_palette()
        self.browser_choice.currentIndexChanged.connect(self._choice_changed)
        self.modality_combo.currentIndexChanged.connect(self._draw_scatter)
        self.jitter_box.toggled.connect(self._draw_scatter)
        session.dataset_changed.connect(self._dataset_changed)
        session.current_changed.connect(self._current_changed)
        session.valuation_added.connect(lambda *_: self._request_epoch())

    # -- public ------------------------------------------------------------------------------
    @property
    def result(self) -> ComparedRuns | None:
        return self._result

    def show_result(self, result: ComparedRuns) -> None:
        """Show a new comparison (the browser's comparison filter goes back to every sample)."""
        self._result = result
        c = result.comparison
        self._jitter = np.random.default_rng(JITTER_SEED).uniform(-0.5, 0.5, (len(c.a.ids), 2))
        self._position = -1
        self._epoch_shown = False
        self._show_summary(result)
        self._fill_tables(result)
        self.modality_combo.blockSignals(True)
        self.modality_combo.clear()
        self.modality_combo.addItems(c.modalities)
        self.modality_combo.blockSignals(False)
        for position in range(1, self.browser_choice.count()):
            category = self.browser_choice.itemData(position)
            self.browser_choice.setItemText(position, f"{CATEGORY_TEXT[category]} ({c.count(category)})")
        self._map_rows()
        self._draw_scatter()
        self._current_changed(self.session.current)
        self._request_epoch()

    def set_browser_choice(self, choice: str) -> None:
        """Filter the browser to ``choice``: "all" or one of fixed, broken, both right, both wrong."""
        position = self.browser_choice.findData(choice)
        if position < 0:
            raise ValueError(f"unknown choice {choice!r}; expected {ALL!r} or one of {', '.join(CATEGORIES)}")
        if position == self.browser_choice.currentIndex():
            self._choice_changed()
        else:
            self.browser_choice.setCurrentIndex(position)

    def rows_of(self, category: str) -> np.ndarray:
        """Dataset rows (of the dataset on show) of the compared samples in ``category``."""
        if self._result is None:
            return np.zeros(0, np.int64)
        rows = self._rows[self._result.comparison.samples(category)]
        return np.sort(rows[rows >= 0])

    def shown_pair(self) -> tuple[np.ndarray, np.ndarray] | None:
        """(φ in A, φ in B) of the sample whose bars are on show, None when none is."""
        if self._result is None or self._position < 0:
            return None
        c = self._result.comparison
        return c.a.phi[self._position].copy(), c.b.phi[self._position].copy()

    def scatter_counts(self) -> dict[str, int]:
        """Points drawn per category."""
        return {category: len(cloud.x) for category, cloud in self.points.items()}

    # -- summary and tables --------------------------------------------------------------------
    def _show_summary(self, result: ComparedRuns) -> None:
        c, (name_a, name_b) = result.comparison, result.names
        d = c.difference
        significant = " — <b>significant</b>" if d.significant else ""
        counts = " · ".join(
            f"{_swatch(CATEGORY_COLORS[k])} {CATEGORY_TEXT[k]} <b>{c.count(k)}</b>" for k in CATEGORIES
        )
        only = f" (only in A: {c.only_a}, only in B: {c.only_b})" if c.only_a or c.only_b else ""
        self.summary.setText(
            f"<b>A</b> {html.escape(name_a)} (epoch {c.a.epoch + 1}) → <b>B</b> {html.escape(name_b)} "
            f"(epoch {c.b.epoch + 1}) · {c.a.split} split, {len(c.a.ids)} samples in both{only}<br>"
            f"accuracy A <b>{_n(float(c.a.correct.mean()))}</b>, B <b>{_n(float(c.b.correct.mean()))}</b>; "
            f"B − A <b>{_n(d.value, True)}</b> [95 % CI {_n(d.low, True)}, {_n(d.high, True)}]{significant}"
            f" · {counts}"
        )
        self.summary.setToolTip(f"A: {result.reports[0]}\nB: {result.reports[1]}")

    def _fill_tables(self, result: ComparedRuns) -> None:
        c = result.comparison
        a, b = c.a, c.b
        rows = [
            [m, _n(a.head_accuracy.get(m)), _n(b.head_accuracy.get(m)), _n(float(a.phi[:, j].mean())),
             _n(float(b.phi[:, j].mean()))]
            for j, m in enumerate(c.modalities)
        ]
        rows.append(["φ gap", "", "", _n(gap(a.phi)), _n(gap(b.phi))])
        _fill(self.modality_table, ["modality", "head acc A", "head acc B", "mean φ A", "mean φ B"], rows)
        header = ["class", "n", "acc A", "acc B", "fixed", "broken"]
        header += [f"φ {m} {side}" for m in c.modalities for side in "AB"] + ["φ gap A", "φ gap B"]
        rows = []
        for row in c.classes:
            phis = [_n(float(phi[j])) for j in range(len(c.modalities)) for phi in (row.phi_a, row.phi_b)]
            rows.append([row.name, str(row.samples), _n(row.accuracy_a), _n(row.accuracy_b), str(row.fixed),
                         str(row.broken), *phis, _n(float(np.ptp(row.phi_a))), _n(float(np.ptp(row.phi_b)))])
        _fill(self.class_table, header, rows)

    # -- browser filter ------------------------------------------------------------------------
    def _map_rows(self) -> None:
        dataset = self.session.dataset
        ids = self._result.comparison.a.ids if self._result is not None else np.zeros(0, object)
        self._rows = dataset_rows(ids, dataset.ids) if dataset is not None else np.full(len(ids), -1, np.int64)
        found = int(np.sum(self._rows >= 0))
        self.browser_choice.setEnabled(found > 0)
        if self._result is not None and found < len(ids):
            self.browser_choice.setToolTip(
                f"{len(ids) - found} of the {len(ids)} compared samples are not in the dataset on show "
                "(open one of the two runs to list them)"
            )
        else:
            self.browser_choice.setToolTip("Which compared samples the sample browser lists")

    def _request_epoch(self) -> None:
        """Ask the browser for the compared epoch of the run on show, once its valuation of it is in."""
        shown = self.session.report_path
        if self._result is None or self._epoch_shown or shown is None:
            return
        c = self._result.comparison
        for report, epoch in zip(self._result.reports, (c.a.epoch, c.b.epoch), strict=True):
            if Path(report).resolve() == Path(shown).resolve() and epoch in valued_epochs(self.session):
                self._epoch_shown = True
                self.epoch_requested.emit(epoch)
                return

    def _dataset_changed(self) -> None:
        self.browser_choice.blockSignals(True)
        self.browser_choice.setCurrentIndex(0)  # a new dataset resets the browser's filters
        self.browser_choice.blockSignals(False)
        self._map_rows()
        self._draw_marker()

    def _choice_changed(self) -> None:
        choice = self.browser_choice.currentData()
        if self._result is None or choice == ALL:
            self.browser_filter_requested.emit(None, "")
            return
        self.browser_filter_requested.emit(self.rows_of(choice), CATEGORY_TEXT[choice])

    # -- scatter -------------------------------------------------------------------------------
    def _draw_scatter(self) -> None:
        result = self._result
        j = self.modality_combo.currentIndex()
        if result is None or j < 0:
            for cloud in self.points.values():
                cloud.setData(np.zeros(0), np.zeros(0), np.zeros(0, np.int64))
            return
        c = result.comparison
        x, y = self._point_positions(result, j)
        for category, cloud in self.points.items():
            mine = c.samples(category)
            cloud.setData(x[mine], y[mine], mine)
        modality = c.modalities[j]
        self.scatter.setLabel("bottom", f"φ {modality} in A")
        self.scatter.setLabel("left", f"φ {modality} in B")
        self._draw_marker()

    def _point_positions(self, result: ComparedRuns, j: int) -> tuple[np.ndarray, np.ndarray]:
        c = result.comparison
        x, y = c.a.phi[:, j].copy(), c.b.phi[:, j].copy()
        if self.jitter_box.isChecked() and len(x):
            span = max(float(np.ptp(np.concatenate([x, y]))), 1e-6)
            x += self._jitter[:, 0] * JITTER_SHARE * span
            y += self._jitter[:, 1] * JITTER_SHARE * span
        return x, y

    def _draw_marker(self) -> None:
        result, j = self._result, self.modality_combo.currentIndex()
        if result is None or self._position < 0 or j < 0:
            self.marker.setData([], [])
            return
        x, y = self._point_positions(result, j)
        self.marker.setData([x[self._position]], [y[self._position]])

    def _clicked(self, _cloud, position: int) -> None:
        row = int(self._rows[position]) if 0 <= position < len(self._rows) else -1
        if row >= 0:
            self.session.select([row])  # the current sample follows, and with it these bars
        else:
            self._show_sample(position)

    # -- the current sample's bars -------------------------------------------------------------
    def _current_changed(self, index: int) -> None:
        hits = np.flatnonzero(self._rows == index) if index >= 0 else np.zeros(0, np.int64)
        self._show_sample(int(hits[0]) if len(hits) else -1)

    def _show_sample(self, position: int) -> None:
        self._position = position
        self._draw_marker()
        result = self._result
        if result is None or position < 0:
            for item in self.bar_items:
                item.setOpts(x=[], height=[])
            self.bars_title.setText("Select a compared sample to see its φ in both runs." if result is not None
                                    else "")
            return
        c = result.comparison
        names = c.a.class_names
        label = names[c.a.labels[position]]
        said = [(names[o.prediction[position]], bool(o.correct[position])) for o in (c.a, c.b)]
        verdicts = [f"{side} says {html.escape(name)} ({'right' if right else 'wrong'})"
                    for side, (name, right) in zip("AB", said, strict=True)]
        category = c.category[position]
        colors = modality_colors(c.modalities)
        self.bars_title.setText(
            f"<b>{html.escape(str(c.a.ids[position]))}</b> ({html.escape(label)}): {'; '.join(verdicts)} — "
            f"{_swatch(CATEGORY_COLORS[category])} {CATEGORY_TEXT[category]}<br>"
            f"φ of {color_key(c.modalities, colors)}: A (epoch {c.a.epoch + 1}) pale, B (epoch {c.b.epoch + 1}) solid"
        )
        x = np.arange(len(c.modalities), dtype=np.float64)
        pale = [with_alpha(color, 90) for color in colors]
        self.bar_items[0].setOpts(x=x - BAR_OFFSET, height=c.a.phi[position], brushes=pale, pens=colors)
        self.bar_items[1].setOpts(x=x + BAR_OFFSET, height=c.b.phi[position], brushes=colors, pens=colors)
        ticks = [(float(i + side * BAR_OFFSET), "AB"[side > 0]) for i in range(len(c.modalities)) for side in (-1, 1)]
        self.bars.getAxis("bottom").setTicks([ticks])
        self.bars.setXRange(-0.6, len(c.modalities) - 0.4, padding=0)
        self.bars.enableAutoRange(axis="y")

    # -- appearance ----------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        for plot in (self.scatter, self.bars):
            apply_plot_palette(plot, self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
        super().changeEvent(event)


def _fill(table: QTableWidget, header: list[str], rows: list[list[str]]) -> None:
    table.clear()
    table.setColumnCount(len(header))
    table.setRowCount(len(rows))
    table.setHorizontalHeaderLabels(header)
    for r, row in enumerate(rows):
        for column, text in enumerate(row):
            item = QTableWidgetItem(text)
            if column:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, column, item)
