"""How much each modality contributes to the current sample: Shapley bars, coalition values, φ over epochs."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.session import Session
from app.style import (
    GRID_ALPHA,
    NEUTRAL_COLOR,
    apply_plot_palette,
    color_key,
    correctness_color,
    modality_colors,
    plain_axes,
    steady_label_room,
    text_color,
)
from app.views.base import RIGHT, View
from app.views.epoch_chooser import epoch_label
from app.views.lazy import BURST_MS
from app.views.queries import sample_history, sample_valuation
from app.views.value_fn_chooser import ValueFnChooser
from core.run_files import FINAL, RunState
from core.valuation import coalition_labels, pair_interactions, pair_labels

# Value functions whose v(S) > 0 means the coalition S predicts the right class.
RIGHT_WHEN_POSITIVE = ("benefit", "accuracy")
LABEL_PX = 30.0  # a value label (about 22 px) plus the 5 px the axis ticks reach into the plot, and a margin
MAX_LABEL_SHARE = 0.5  # of a bar chart's height, for its value labels: a smaller chart shows none
LABEL_GAP_PX = 4.0  # the least room between the value labels of neighbouring bars


def not_valued_note(run_state: str) -> str:
    """Why a sample shows no values: more epochs may value it while a run goes on, not after it ended."""
    if run_state in FINAL:
        return "not valued in this run (Run → Value split now…)"
    return "not valued yet (values appear after the first epoch that values it)"


class ContributionView(View, QWidget):
    """The current sample's φ per modality (latest epoch that valued it), its coalition values, pair
    interactions (a line of text) and φ history, and the dataset's mean φ per modality over epochs.
    Updates as valuations arrive."""

    key = "contribution"
    title = "Contributions"
    area = RIGHT

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.heading = QLabel("Select a sample to see how its modalities contribute.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.plots = pg.GraphicsLayoutWidget()
        self.phi_plot = self.plots.addPlot(row=0, col=0)
        self.coalition_plot = self.plots.addPlot(row=0, col=1)
        self.history_plot = self.plots.addPlot(row=1, col=0)
        self.mean_plot = self.plots.addPlot(row=1, col=1)
        self._titles = {  # short: each plot is about a quarter of a side pane wide
            self.phi_plot: "φ",
            self.coalition_plot: "v(S) per coalition",
            self.history_plot: "φ per epoch",
            self.mean_plot: "dataset mean φ",
        }
        for plot in self._titles:
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.showGrid(y=True, alpha=GRID_ALPHA)
            plain_axes(plot)
            steady_label_room(plot)
        for plot in (self.history_plot, self.mean_plot):
            plot.setLabel("bottom", "epoch")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.value_fn_chooser = ValueFnChooser(session)
        choice = QHBoxLayout()  # a row of its own: beside the title it would squeeze it into many lines
        choice.addWidget(QLabel("value function"))
        choice.addWidget(self.value_fn_chooser)
        choice.addStretch(1)
        layout.addLayout(choice)
        layout.addWidget(self.heading)
        layout.addWidget(self.plots, 1)

        self._phi = np.zeros(0, np.float32)
        self._coalitions = np.zeros(0, np.float32)
        self._interaction = np.zeros(0)
        self._item_modalities: list[str] | None = None
        self._shown_titles: dict[int, str] = {}
        self._lazy = self.refresh_when_visible(self._refresh)
        # a frame after the selection: the player's first frame of the new sample, decoded meanwhile,
        # gets the chance to be drawn before these four plots are
        session.current_changed.connect(lambda _: self._lazy.request_later())
        session.valuation_added.connect(  # a live run's split valuations of one epoch: one redraw
            lambda *_: self._lazy.request_later(BURST_MS if session.run_state == RunState.RUNNING else 0)
        )
        for signal in (session.dataset_changed, session.value_fn_changed, session.run_state_changed):
            signal.connect(lambda *_: self._lazy.request_later())
        self._apply_palette()
        self._lazy.request()

    # -- public ------------------------------------------------------------------------------
    def displayed_phi(self) -> np.ndarray:
        """The φ bar heights on show, one per modality (empty when the sample has no valuation)."""
        self._lazy.flush()
        return self._phi.copy()

    def displayed_coalition_values(self) -> np.ndarray:
        """The coalition values on show, in the standard coalition order (empty when none)."""
        self._lazy.flush()
        return self._coalitions.copy()

    def displayed_interaction(self) -> np.ndarray:
        """The pair interactions on show, in ``pair_labels`` order (empty when none)."""
        self._lazy.flush()
        return self._interaction.copy()

    # -- drawing -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        """Update the plots in place (items are made once per modality set, then only get new data)."""
        for plot, title in self._titles.items():
            self._set_title(plot, title)
        self._phi = np.zeros(0, np.float32)
        self._coalitions = np.zeros(0, np.float32)
        self._interaction = np.zeros(0)
        dataset, index = self.session.dataset, self.session.current
        modalities = list(dataset.modalities) if dataset is not None else []
        self._ensure_items(modalities)
        self._draw_mean(modalities)
        found = sample_valuation(self.session, index) if dataset is not None and 0 <= index < len(dataset) else None
        for plot in (self.phi_plot, self.coalition_plot, self.history_plot):
            set_empty(plot, found is None)
        if found is None:
            self._bars.hide()
            self._coalition_bars.hide()
            self._history.hide()
            self._epoch_marker.setVisible(False)
            if dataset is None or not 0 <= index < len(dataset):
                self.heading.setText("Select a sample to see how its modalities contribute.")
            else:
                sample = html.escape(str(dataset.ids[index]))
                self.heading.setText(f"<b>{sample}</b>: {not_valued_note(self.session.run_state)}")
            if self.session.valuations and modalities:  # the mean plot still shows: say which colour is which
                self.heading.setText(f"{self.heading.text()}<br>{color_key(modalities, modality_colors(modalities))}")
            return
        result = found.result
        lines = [self._describe(dataset, index, found)]
        interaction = pair_interactions(found.coalition_values) if result.coalition_values.shape[1] else np.zeros(0)
        if len(interaction) and np.isfinite(interaction).all():  # none for one modality or Monte-Carlo values
            self._interaction = interaction
            lines.append(interaction_text(pair_labels(modalities), interaction))
        self.heading.setText("<br>".join([*lines, self._key(modalities, found)]))
        self._phi = np.asarray(found.phi, np.float32).copy()
        self._bars.show(self._phi, modality_colors(modalities), modalities, found.phi_stderr)
        if result.coalition_values.shape[1]:
            self._coalitions = np.asarray(found.coalition_values, np.float32).copy()
            self._draw_coalitions(modalities, result.value_fn)
        else:
            self._coalition_bars.hide()
            self._set_title(self.coalition_plot, "v(S) not stored (Monte-Carlo)")
        epochs, phis = sample_history(self.session, index)
        self._history.show(epochs + 1, phis)  # this sample's range, not the one shown before
        self._epoch_marker.setValue(result.epoch + 1)
        self._epoch_marker.setVisible(True)

    def _key(self, modalities: list[str], found) -> str:
        """Which colour is which, once for all four plots (a legend in a plot would cover its data)."""
        parts = [color_key(modalities, modality_colors(modalities))]
        if found.result.value_fn in RIGHT_WHEN_POSITIVE and found.result.coalition_values.shape[1]:
            parts.append("v(S): " + color_key(["right", "wrong"], [correctness_color(True), correctness_color(False)]))
        return " · ".join(parts)

    def _ensure_items(self, modalities: list[str]) -> None:
        if modalities == self._item_modalities:
            return
        self._item_modalities = list(modalities)
        colors = modality_colors(modalities)
        text = text_color(self.palette())
        for plot in self._titles:
            plot.clear()
        self._bars = _BarChart(self.phi_plot, text)
        self._coalition_bars = _BarChart(self.coalition_plot, text)
        self._history = _ModalityCurves(self.history_plot, modalities, colors, symbol_size=6)
        self._mean = _ModalityCurves(self.mean_plot, modalities, colors, symbol_size=5)
        marker = pg.mkPen(text, style=Qt.PenStyle.DotLine)
        self._epoch_marker = pg.InfiniteLine(0, angle=90, pen=marker)
        self._epoch_marker.setVisible(False)
        self.history_plot.addItem(self._epoch_marker)

    def _describe(self, dataset, index: int, found) -> str:
        result = found.result
        right = bool(result.correct[found.row])
        predicted = int(result.prediction[found.row])
        names = dataset.class_names
        prediction = names[predicted] if 0 <= predicted < len(names) else str(predicted)
        verdict = "right" if right else "wrong"
        colour = correctness_color(right).name()
        sample = html.escape(str(dataset.ids[index]))
        return (
            f"<b>{sample}</b> · predicted {html.escape(prediction)} <span style='color:{colour}'>({verdict})</span>"
            f" · {epoch_label(result.epoch)}<br>value function <b>{html.escape(result.value_fn)}</b>"
            f" ({result.method}) · Σφ = v(all) = {float(found.phi.sum()):.3f}"
        )

    def _draw_coalitions(self, modalities: list[str], value_fn: str) -> None:
        values = self._coalitions
        if value_fn in RIGHT_WHEN_POSITIVE:
            colors = [pg.mkColor(NEUTRAL_COLOR)] + [correctness_color(v > 0) for v in values[1:]]
        else:
            colors = [pg.mkColor(NEUTRAL_COLOR)] * len(values)
            self._set_title(self.coalition_plot, f"v(S) ({value_fn})")
        self._coalition_bars.show(values, colors, short_coalition_labels(modalities))

    def _draw_mean(self, modalities: list[str]) -> None:
        split = "train" if "train" in self.session.valuations else next(iter(self.session.valuations), None)
        set_empty(self.mean_plot, split is None or not modalities)
        if split is None or not modalities:
            self._mean.hide()
            return
        epochs, means = self.session.mean_phi_history(split)
        self._set_title(self.mean_plot, f"mean φ ({split})")
        self._mean.show(epochs + 1, means)

    def _set_title(self, plot: pg.PlotItem, text: str) -> None:
        if self._shown_titles.get(id(plot)) != text:  # laying out a title's rich text is slow: only on change
            self._shown_titles[id(plot)] = text
            plot.setTitle(text, color=text_color(self.palette()).name(), size="9pt")

    # -- appearance --------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        apply_plot_palette(self.plots, self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
            self._item_modalities = None  # labels and markers take the new text colour
            self._shown_titles.clear()
            self._lazy.request()
        super().changeEvent(event)


def interaction_text(pairs: list[str], values: np.ndarray) -> str:
    """One line of pair interactions: "interaction audio×video +0.420 (synergy)", several pairs comma-separated."""
    shown = np.round(np.asarray(values, np.float64), 3) + 0.0  # (+ 0.0: no "-0.000")
    if len(pairs) == 1:
        word = "synergy" if shown[0] > 0 else "redundancy" if shown[0] < 0 else "none"
        return f"interaction {html.escape(pairs[0])} {shown[0]:+.3f} ({word})"
    parts = ", ".join(f"{html.escape(pair)} {value:+.3f}" for pair, value in zip(pairs, shown, strict=True))
    return f"interaction {parts} (+ synergy, − redundancy)"


def set_empty(plot: pg.PlotItem, empty: bool) -> None:
    """Hide the axes (and grid) of a plot with nothing to show, rather than show placeholder ticks."""
    for name in ("left", "bottom"):
        if plot.getAxis(name).isVisible() == empty:  # (showing a shown axis still redraws it)
            plot.showAxis(name, not empty)
    plot.showGrid(y=not empty, alpha=GRID_ALPHA)


def short_coalition_labels(modalities: list[str]) -> list[str]:
    """Coalition tick labels that fit under narrow bars: the full coalition is "all", and beyond two
    modalities each name is cut to its first three letters."""
    names = modalities if len(modalities) <= 2 else [m[:3] for m in modalities]
    labels = coalition_labels(names)
    labels[-1] = "all"
    return labels


class _BarChart:
    """A bar chart whose bars, error bars and value labels are reused from one update to the next."""

    def __init__(self, plot: pg.PlotItem, label_color: QColor) -> None:
        self.plot = plot
        self.label_color = label_color
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.6)
        self.errors = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), height=np.zeros(0), beam=0.2)
        self.labels: list[pg.TextItem] = []
        self._heights = np.zeros(0)
        self._ticks: list[str] = []
        plot.addItem(self.bars)
        plot.addItem(self.errors)
        plot.getViewBox().sigResized.connect(self._fit)
        self.hide()

    def show(self, heights: np.ndarray, colors: list, ticks: list[str], stderr: np.ndarray | None = None) -> None:
        x = np.arange(len(heights), dtype=np.float64)
        heights = np.asarray(heights, np.float64)
        self.bars.setOpts(x=x, height=heights, brushes=colors, pens=colors)
        self.bars.setVisible(True)
        if stderr is not None:
            self.errors.setData(x=x, y=heights, height=2 * np.asarray(stderr, np.float64))
        self.errors.setVisible(stderr is not None)
        while len(self.labels) < len(heights):
            label = pg.TextItem(color=self.label_color)
            self.plot.addItem(label)
            self.labels.append(label)
        above = labels_above(heights)
        for i, label in enumerate(self.labels[: len(heights)]):
            label.setText(f"{heights[i]:.3g}")
            label.setAnchor((0.5, 1.0) if above[i] else (0.5, 0.0))
            label.setPos(x[i], heights[i])
        if ticks != self._ticks:  # new ticks redraw the axis: only when they change
            self._ticks = list(ticks)
            self.plot.getAxis("bottom").setTicks([list(zip(x.tolist(), ticks, strict=True))])
        self.plot.setXRange(-0.6, len(heights) - 0.4, padding=0)
        self._heights = heights
        self._fit()

    def _fit(self, *_args) -> None:
        """Room for the value labels at the chart's current height (again after each resize), or no
        labels when they do not fit: never a label cut by the plot's edge."""
        if not self.bars.isVisible():
            return
        box = self.plot.getViewBox()
        view_px = box.height()
        shown = self.labels[: len(self._heights)]
        widths = [label.textItem.boundingRect().width() for label in shown]
        fit = labels_fit(self._heights, view_px) and labels_fit_across(widths, box.width())
        for i, label in enumerate(self.labels):
            label.setVisible(fit and i < len(self._heights))
        self.plot.setYRange(*label_room(self._heights, view_px, LABEL_PX if fit else 0.0), padding=0)

    def hide(self) -> None:
        for item in (self.bars, self.errors, *self.labels):
            item.setVisible(False)


def labels_above(heights: np.ndarray) -> np.ndarray:
    """Per bar, whether its value label goes above the bar's end (else below): above a positive bar,
    below a negative one; a zero bar's label goes below only when no bar is positive and one is
    negative, so that it sits on the side the chart keeps room on."""
    downward = heights.max(initial=0.0) <= 0 and heights.min(initial=0.0) < 0
    return (heights > 0) | ((heights == 0) & (not downward))


def labels_fit(heights: np.ndarray, view_px: float, label_px: float = LABEL_PX) -> bool:
    """Whether a bar chart ``view_px`` tall has room for its value labels (a row above the bars, one
    below, or both) in at most ``MAX_LABEL_SHARE`` of its height."""
    above = labels_above(heights)
    rows = int(above.any()) + int((~above).any())
    return view_px > 0 and rows * label_px <= MAX_LABEL_SHARE * view_px


def labels_fit_across(widths_px: list[float], view_width_px: float) -> bool:
    """Whether value labels ``widths_px`` wide stay apart over bars one x unit apart in a view
    ``view_width_px`` wide (the chart spans as many units as it has bars): never labels overlapping."""
    if not widths_px:
        return True
    slot = view_width_px / len(widths_px)
    return max(widths_px) + LABEL_GAP_PX <= slot


def value_range(values: np.ndarray) -> tuple[float, float]:
    """A y range for φ curves that always shows 0 (whether a modality helps or hurts is read against it),
    with a margin of 8 % of the span; -1..1 when there is nothing finite."""
    finite = np.asarray(values, np.float64)
    finite = finite[np.isfinite(finite)]
    low = min(0.0, float(finite.min())) if len(finite) else -1.0
    high = max(0.0, float(finite.max())) if len(finite) else 1.0
    margin = 0.08 * ((high - low) or 1.0)
    return low - margin, high + margin


def label_room(heights: np.ndarray, view_px: float, label_px: float = LABEL_PX) -> tuple[float, float]:
    """The y range of a bar chart whose value labels (``label_px`` tall, placed by ``labels_above``)
    stay inside a view ``view_px`` tall: the labels never reach the axis and its category names. A side
    without labels (every side, when ``label_px`` is 0) gets a sliver of 5 % of the bars' span. The
    labels get at most ``MAX_LABEL_SHARE`` of the height (all they need when ``labels_fit``)."""
    low, high = min(0.0, float(heights.min(initial=0.0))), max(0.0, float(heights.max(initial=0.0)))
    span = (high - low) or 1.0
    sliver = 0.05 * span
    above = labels_above(heights) if view_px > 0 and label_px > 0 else np.zeros(0, bool)
    up, down = bool(above.any()), bool((~above).any())
    rows = int(up) + int(down)
    share = min(label_px / view_px, MAX_LABEL_SHARE / rows) if rows else 0.0
    room = share * (span + sliver * (2 - rows)) / (1 - rows * share) if rows else 0.0  # of the whole range
    return (low - room if down else low - sliver, high + room if up else high + sliver)


class _ModalityCurves:
    """One line per modality over epochs; updated with new data in place."""

    def __init__(self, plot: pg.PlotItem, modalities: list[str], colors: list, symbol_size: int) -> None:
        self.plot = plot
        zero = pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen(NEUTRAL_COLOR, width=1))  # φ = 0: no contribution
        plot.addItem(zero, ignoreBounds=True)
        self.curves = [
            plot.plot([], [], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=symbol_size,
                      symbolBrush=color, symbolPen=None, name=modality)
            for modality, color in zip(modalities, colors, strict=True)
        ]  # named for tooltips and exports; the key is the view's label, not a legend over the data

    def show(self, x: np.ndarray, values: np.ndarray) -> None:
        """``values`` is [len(x), modality]."""
        for position, curve in enumerate(self.curves):
            curve.setData(x, values[:, position])
        self.plot.enableAutoRange(x=True, y=False)
        self.plot.setYRange(*value_range(values), padding=0)

    def hide(self) -> None:
        for curve in self.curves:
            curve.setData([], [])
