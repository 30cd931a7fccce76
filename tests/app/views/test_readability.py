"""What a new user ran into in the plots: multiplier labels on value axes, value labels over category
names, legends over the data, placeholder axes on empty plots, a new sample keeping the old range."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from app.views.contribution import ContributionView, label_room, labels_above, labels_fit
from app.views.dataset_plot import DatasetPlot
from tests.app.views.helpers import make_dataset, make_result, session_with, write_tone


@pytest.fixture
def half_session():
    """Four samples; the train ones (0, 1) have φ = (+0.5, -0.5) and (0.01, 0.02)."""
    dataset = make_dataset(4)
    session = session_with(dataset)
    session.add_valuation(make_result(0, "train", np.array([0, 1]), np.array([[0.5, -0.5], [0.01, 0.02]]),
                                      dataset.labels))
    return session


def shown(qtbot, widget, size=(420, 360)):
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    qtbot.wait(30)  # one turn: the views refresh on the next turn of the event loop
    QApplication.processEvents()
    return widget


def tick_texts(axis: pg.AxisItem) -> list[str]:
    low, high = axis.range
    levels = axis.tickValues(low, high, axis.size().height() or 200)
    values = [v for _spacing, level in levels for v in level]
    scale = axis.scale * axis.autoSIPrefixScale
    return axis.tickStrings(values, scale, levels[0][0] if levels else 1.0)


def test_phi_axis_reads_in_plain_units(qtbot, half_session):
    view = shown(qtbot, ContributionView(half_session))
    half_session.set_current(0)
    axis = view.phi_plot.getAxis("left")
    assert axis.autoSIPrefixScale == 1.0 and "x0.001" not in axis.labelString()
    texts = tick_texts(axis)
    assert texts and all(abs(float(t)) <= 1.0 for t in texts), texts  # "0.5", never "500"


def test_spectrogram_time_axis_has_no_multiplier(qtbot, make_player, tmp_path):
    dataset = make_dataset(1, root=tmp_path, modalities=["audio"])
    write_tone(tmp_path / "audio/0.wav", seconds=0.5)
    player = make_player(session_with(dataset))
    player.session.set_current(0)
    qtbot.waitUntil(lambda: player.spec_image.image is not None, timeout=30_000)
    axis = player.spec_plot.getAxis("bottom")
    assert "time (s)" in axis.labelString() and "(x" not in axis.labelString()
    assert axis.autoSIPrefixScale == 1.0


def test_value_labels_stay_clear_of_the_category_names(qtbot, half_session):
    view = shown(qtbot, ContributionView(half_session), size=(420, 480))  # the side pane at 1280 × 720
    half_session.set_current(0)
    qtbot.wait(30)
    plot = view.phi_plot
    axis = plot.getAxis("bottom")
    axis_rect = axis.mapRectToScene(axis.boundingRect())
    box_rect = plot.getViewBox().mapRectToScene(plot.getViewBox().boundingRect())
    labels = [item for item in plot.items if isinstance(item, pg.TextItem) and item.isVisible()]
    assert len(labels) == 2
    for label in labels:
        rect = label.mapRectToScene(label.boundingRect())
        assert not rect.intersects(axis_rect), label.toPlainText()
        assert box_rect.contains(rect), label.toPlainText()


def test_label_room_leaves_a_label_height_on_each_side():
    low, high = label_room(np.array([0.5, -0.5]), view_px=220.0, label_px=22.0)
    # 22 px of 220 is a tenth of the height on each side: (high - low) * 0.1 == room
    assert np.isclose(high - 0.5, (high - low) * 0.1) and np.isclose(-0.5 - low, (high - low) * 0.1)
    low, high = label_room(np.array([0.2, 0.4]), view_px=100.0, label_px=20.0)
    assert np.isclose(low, -0.02) and np.isclose(high - 0.4, (high - low) * 0.2)  # no negative bar: a sliver


def test_value_labels_are_left_out_of_a_chart_too_small_for_them():
    positive, both = np.array([0.5, 1.5]), np.array([-0.5, 1.5])
    assert labels_fit(positive, view_px=60.0, label_px=30.0)  # one label row: half the height
    assert not labels_fit(both, view_px=60.0, label_px=30.0)  # a row above and one below
    assert labels_fit(both, view_px=120.0, label_px=30.0)
    assert not labels_fit(positive, view_px=0.0)  # not laid out yet
    low, high = label_room(both, view_px=60.0, label_px=0.0)  # no labels: a sliver on each side
    assert np.isclose(-0.5 - low, 0.1) and np.isclose(high - 1.5, 0.1)


def test_a_zero_bars_label_sits_on_the_side_with_room():
    assert labels_above(np.array([0.0, 0.0])).tolist() == [True, True]  # tied at zero: labels above
    assert labels_above(np.array([0.0, -0.4, -1.0])).tolist() == [False, False, False]  # v(∅) = 0 among losses
    assert labels_above(np.array([0.0, -0.4, 1.0])).tolist() == [True, False, True]
    low, high = label_room(np.array([0.0, 0.0]), view_px=100.0, label_px=20.0)
    assert np.isclose(low, -0.05) and high > 0.2  # a label's height of room above the zero bars
    low, high = label_room(np.array([0.0, -0.4, -1.0]), view_px=100.0, label_px=20.0)
    assert low < -1.2 and np.isclose(high, 0.05)  # room below, where the zero bar's label is


def test_label_room_never_gives_the_labels_more_than_their_share():
    low, high = label_room(np.array([-0.5, 1.5]), view_px=60.0, label_px=30.0)  # labels_fit says no
    assert np.isfinite([low, high]).all() and low < -0.5 and high > 1.5


def test_no_legend_covers_the_data(qtbot, half_session):
    contribution = shown(qtbot, ContributionView(half_session))
    scatter = shown(qtbot, DatasetPlot(half_session), size=(700, 300))
    half_session.set_current(0)
    for widget in (contribution.plots, scatter.histogram, scatter.scatter_plot):
        assert not [i for i in widget.scene().items() if isinstance(i, pg.LegendItem)]
    contribution.displayed_phi()
    key = contribution.heading.text()
    assert "audio" in key and "video" in key and "right" in key and "wrong" in key
    assert "audio" in scatter.histogram.getPlotItem().titleLabel.text
    assert "wrong" in scatter.scatter_plot.getPlotItem().titleLabel.text


def test_empty_plots_hide_their_axes_and_a_new_sample_gets_its_own_range(qtbot, half_session):
    view = shown(qtbot, ContributionView(half_session))
    for plot in (view.phi_plot, view.coalition_plot, view.history_plot):
        assert not plot.getAxis("left").isVisible() and not plot.getAxis("bottom").isVisible()
    half_session.set_current(0)
    view.displayed_phi()
    assert view.phi_plot.getAxis("left").isVisible() and view.history_plot.getAxis("left").isVisible()
    QApplication.processEvents()
    first = view.history_plot.getViewBox().viewRange()[1]
    assert first[0] <= -0.5 and first[1] >= 0.5
    half_session.set_current(1)  # φ = (0.01, 0.02): a much smaller range
    view.displayed_phi()
    QApplication.processEvents()
    low, high = view.history_plot.getViewBox().viewRange()[1]
    assert low <= 0.01 and high >= 0.02 and high - low < 0.2, (low, high)
    bars_low, bars_high = view.phi_plot.getViewBox().viewRange()[1]
    assert bars_high < 0.1 and bars_low > -0.1
    half_session.set_current(3)  # never valued
    view.displayed_phi()
    assert not view.phi_plot.getAxis("left").isVisible()
