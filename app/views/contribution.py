"""How much each modality contributes to the current sample: Shapley bars, coalition values, φ over epochs."""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.session import Session
from app.style import (
    NEUTRAL_COLOR,
    apply_plot_palette,
    correctness_color,
    modality_colors,
    text_color,
)
from app.views.epoch_chooser import epoch_label
from app.views.lazy import RefreshWhenVisible
from app.views.queries import sample_history, sample_valuation
from core.valuation.result import coalition_labels

# Value functions whose v(S) > 0 means the coalition S predicts the right class.
RIGHT_WHEN_POSITIVE = ("benefit", "accuracy")


class ContributionView(QWidget):
    """The current sample's φ per modality (latest epoch that valued it), its coalition values and
    φ history, and the dataset's mean φ per modality over epochs. Updates as valuations arrive."""

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.title = QLabel("Select a sample to see how its modalities contribute.")
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.plots = pg.GraphicsLayoutWidget()
        self.phi_plot = self.plots.addPlot(row=0, col=0)
        self.coalition_plot = self.plots.addPlot(row=0, col=1)
        self.history_plot = self.plots.addPlot(row=1, col=0)
        self.mean_plot = self.plots.addPlot(row=1, col=1)
        self._titles = {
            self.phi_plot: "φ per modality",
            self.coalition_plot: "v(S) per coalition",
            self.history_plot: "this sample's φ per epoch",
            self.mean_plot: "dataset mean φ per epoch",
        }
        for plot in self._titles:
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.showGrid(y=True, alpha=0.25)
        for plot in (self.history_plot, self.mean_plot):
            plot.setLabel("bottom", "epoch")
            plot.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.phi_plot.setLabel("left", "φ")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.plots, 1)

        self._phi = np.zeros(0, np.float32)
        self._coalitions = np.zeros(0, np.float32)
        self._lazy = RefreshWhenVisible(self, self._refresh)
        for signal in (session.current_changed, session.valuation_added, session.dataset_changed):
            signal.connect(lambda *_: self._lazy.request())
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

    # -- drawing -----------------------------------------------------------------------------
    def _refresh(self) -> None:
        for plot, title in self._titles.items():
            plot.clear()
            self._set_title(plot, title)
        self._phi = np.zeros(0, np.float32)
        self._coalitions = np.zeros(0, np.float32)
        dataset, index = self.session.dataset, self.session.current
        if dataset is not None:
            self._draw_mean(dataset.modalities)
        if dataset is None or not 0 <= index < len(dataset):
            self.title.setText("Select a sample to see how its modalities contribute.")
            return
        modalities = list(dataset.modalities)
        found = sample_valuation(self.session, index)
        sample = html.escape(str(dataset.ids[index]))
        if found is None:
            self.title.setText(f"<b>{sample}</b>: not valued yet (values appear after the first epoch that values it)")
            return
        result = found.result
        right = bool(result.correct[found.row])
        predicted = int(result.prediction[found.row])
        names = dataset.class_names
        prediction = names[predicted] if 0 <= predicted < len(names) else str(predicted)
        verdict = "right" if right else "wrong"
        colour = correctness_color(right).name()
        self.title.setText(
            f"<b>{sample}</b> · predicted {html.escape(prediction)} <span style='color:{colour}'>({verdict})</span>"
            f" · {epoch_label(result.epoch)}<br>value function <b>{html.escape(result.value_fn)}</b>"
            f" ({result.method}) · Σφ = v(all) = {float(found.phi.sum()):.3f}"
        )
        self._phi = np.asarray(found.phi, np.float32).copy()
        self._draw_bars(modalities, found.phi_stderr)
        if found.result.coalition_values.shape[1]:
            self._coalitions = np.asarray(found.coalition_values, np.float32).copy()
            self._draw_coalitions(modalities, result.value_fn)
        else:
            self._set_title(self.coalition_plot, "v(S) not stored (Monte-Carlo)")
        self._draw_history(modalities, index, result.epoch)

    def _draw_bars(self, modalities: list[str], stderr: np.ndarray | None) -> None:
        colors = modality_colors(modalities)
        x = np.arange(len(modalities))
        self.phi_plot.addItem(pg.BarGraphItem(x=x, height=self._phi, width=0.6, brushes=colors, pens=colors))
        if stderr is not None:
            self.phi_plot.addItem(pg.ErrorBarItem(x=x, y=self._phi, height=2 * np.asarray(stderr), beam=0.2))
        self._label_bars(self.phi_plot, x, self._phi)
        self.phi_plot.getAxis("bottom").setTicks([list(zip(x.tolist(), modalities, strict=True))])
        self.phi_plot.setXRange(-0.6, len(modalities) - 0.4, padding=0)
        self._include_zero(self.phi_plot, self._phi)

    def _draw_coalitions(self, modalities: list[str], value_fn: str) -> None:
        values = self._coalitions
        labels = coalition_labels(modalities)
        x = np.arange(len(values))
        if value_fn in RIGHT_WHEN_POSITIVE:
            colors = [pg.mkColor(NEUTRAL_COLOR)] + [correctness_color(v > 0) for v in values[1:]]
            self._set_title(self.coalition_plot, "v(S) per coalition · green: right")
        else:
            colors = [pg.mkColor(NEUTRAL_COLOR)] * len(values)
            self._set_title(self.coalition_plot, f"v(S) per coalition ({value_fn})")
        self.coalition_plot.addItem(pg.BarGraphItem(x=x, height=values, width=0.6, brushes=colors, pens=colors))
        self._label_bars(self.coalition_plot, x, values)
        self.coalition_plot.getAxis("bottom").setTicks([list(zip(x.tolist(), labels, strict=True))])
        self.coalition_plot.setXRange(-0.6, len(values) - 0.4, padding=0)
        self._include_zero(self.coalition_plot, values)

    def _draw_history(self, modalities: list[str], index: int, shown_epoch: int) -> None:
        epochs, phis = sample_history(self.session, index)
        for position, (modality, color) in enumerate(zip(modalities, modality_colors(modalities), strict=True)):
            self.history_plot.plot(
                epochs + 1, phis[:, position], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=6,
                symbolBrush=color, symbolPen=None, name=modality,
            )
        marker = pg.mkPen(text_color(self.palette()), style=Qt.PenStyle.DotLine)
        self.history_plot.addItem(pg.InfiniteLine(shown_epoch + 1, angle=90, pen=marker))

    def _draw_mean(self, modalities: list[str]) -> None:
        split = "train" if "train" in self.session.valuations else next(iter(self.session.valuations), None)
        if split is None:
            return
        epochs, means = self.session.mean_phi_history(split)
        self._set_title(self.mean_plot, f"dataset mean φ ({split})")
        for position, (modality, color) in enumerate(zip(modalities, modality_colors(modalities), strict=True)):
            self.mean_plot.plot(
                epochs + 1, means[:, position], pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                symbolBrush=color, symbolPen=None, name=modality,
            )

    def _label_bars(self, plot: pg.PlotItem, x: np.ndarray, heights: np.ndarray) -> None:
        color = text_color(self.palette())
        for xi, h in zip(x.tolist(), np.asarray(heights, np.float64).tolist(), strict=True):
            label = pg.TextItem(f"{h:.3g}", color=color, anchor=(0.5, 1.0) if h >= 0 else (0.5, 0.0))
            label.setPos(xi, h)
            plot.addItem(label)

    def _set_title(self, plot: pg.PlotItem, text: str) -> None:
        plot.setTitle(text, color=text_color(self.palette()).name(), size="9pt")

    @staticmethod
    def _include_zero(plot: pg.PlotItem, heights: np.ndarray) -> None:
        low, high = min(0.0, float(np.min(heights))), max(0.0, float(np.max(heights)))
        span = (high - low) or 1.0
        plot.setYRange(low - 0.12 * span, high + 0.18 * span, padding=0)

    # -- appearance --------------------------------------------------------------------------
    def _apply_palette(self) -> None:
        apply_plot_palette(self.plots, self.palette())

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_palette()
            self._lazy.request()
        super().changeEvent(event)
