import numpy as np
import pytest

from app.views.contribution import ContributionView
from tests.app.views.helpers import make_dataset, make_result, session_with


@pytest.fixture
def view(qtbot, valued_session):
    widget = ContributionView(valued_session)
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    return widget


def test_shows_the_current_samples_phi_and_coalition_values(view, valued_session):
    valued_session.set_current(4)  # third train sample: φ = (-0.2, 1.2)
    assert np.allclose(view.displayed_phi(), [-0.2, 1.2])
    assert np.allclose(view.displayed_coalition_values(), [0.0, -0.2, 1.2, 1.0])  # ∅, audio, video, both
    assert "benefit" in view.heading.text() and "epoch 1" in view.heading.text()
    valued_session.set_current(3)  # test split: never valued
    assert len(view.displayed_phi()) == 0 and "not valued" in view.heading.text()
    valued_session.set_current(-1)
    assert len(view.displayed_phi()) == 0


def test_updates_when_a_new_epoch_arrives(view, valued_session):
    valued_session.set_current(4)
    dataset = valued_session.dataset
    train = np.flatnonzero(dataset.splits == "train")
    valued_session.add_valuation(make_result(1, "train", train, np.tile([0.7, 0.3], (len(train), 1)), dataset.labels))
    assert np.allclose(view.displayed_phi(), [0.7, 0.3])
    assert "epoch 2" in view.heading.text()
    curves = view.history_plot.listDataItems()
    assert len(curves) == 2
    x, y = curves[0].getData()
    assert x.tolist() == [1, 2] and np.allclose(y, [-0.2, 0.7])  # audio's φ over the two epochs
    mean_x, mean_y = view.mean_plot.listDataItems()[1].getData()
    assert mean_x.tolist() == [1, 2] and np.isclose(mean_y[1], 0.3)


def test_monte_carlo_result_without_coalition_values(qtbot):
    dataset = make_dataset(4, modalities=["audio", "video", "text"])
    session = session_with(dataset)
    result = make_result(0, "train", np.arange(4), np.ones((4, 3)), dataset.labels,
                         modalities=["audio", "video", "text"])
    mc = type(result)(**{**result.__dict__, "coalition_values": np.zeros((4, 0), np.float32),
                         "method": "monte-carlo", "phi_stderr": np.full((4, 3), 0.1, np.float32)})
    session.add_valuation(mc)
    view = ContributionView(session)
    qtbot.addWidget(view)
    view.show()
    session.set_current(2)
    assert np.allclose(view.displayed_phi(), [1, 1, 1])
    assert len(view.displayed_coalition_values()) == 0
    assert "monte-carlo" in view.heading.text()


def test_hidden_view_draws_only_when_shown(qtbot, valued_session):
    view = ContributionView(valued_session)
    qtbot.addWidget(view)
    valued_session.set_current(4)
    assert view.phi_plot.listDataItems() == [] and len(view.phi_plot.items) == 0  # nothing drawn yet
    view.show()
    assert len(view.phi_plot.items) > 0
    assert np.allclose(view.displayed_phi(), [-0.2, 1.2])


def test_new_epochs_update_the_same_plot_items(view, valued_session):
    valued_session.set_current(4)
    view.displayed_phi()
    before = list(view.phi_plot.items), list(view.history_plot.listDataItems())
    dataset = valued_session.dataset
    train = np.flatnonzero(dataset.splits == "train")
    for epoch in (1, 2):
        valued_session.add_valuation(
            make_result(epoch, "train", train, np.tile([0.1 * epoch, 0.5], (len(train), 1)), dataset.labels)
        )
        assert np.allclose(view.displayed_phi(), [0.1 * epoch, 0.5])
    after = list(view.phi_plot.items), list(view.history_plot.listDataItems())
    assert all(a is b for a, b in zip(before[0], after[0], strict=True))
    assert all(a is b for a, b in zip(before[1], after[1], strict=True))
    assert view.history_plot.listDataItems()[1].getData()[0].tolist() == [1, 2, 3]


def test_coalition_ticks_are_short_enough_to_show():
    from app.views.contribution import short_coalition_labels

    assert short_coalition_labels(["video", "audio"]) == ["∅", "video", "audio", "all"]
    labels = short_coalition_labels(["video", "audio", "flow"])
    assert labels[0] == "∅" and labels[-1] == "all" and labels[3] == "vid+aud"
    assert max(map(len, labels)) <= 7


def test_a_new_sample_redraws_the_value_axes_only(view, valued_session):
    valued_session.set_current(4)
    view.displayed_phi()
    view.plots.grab()  # paint once: every axis has its picture
    category_axes = [plot.getAxis("bottom") for plot in (view.phi_plot, view.coalition_plot)]
    assert all(axis.picture is not None for axis in category_axes)
    valued_session.set_current(5)
    view.displayed_phi()
    assert all(axis.picture is not None for axis in category_axes)  # same ticks, same layout: kept
    assert view.phi_plot.getAxis("left").picture is None  # a new range: redrawn


def test_tick_label_room_grows_but_does_not_shrink(qtbot):
    import pyqtgraph as pg
    from PySide6.QtWidgets import QApplication

    from app.style import steady_label_room

    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    steady_label_room(widget)
    widget.resize(300, 200)
    widget.show()

    def label_room(low: float, high: float) -> float:
        widget.setYRange(low, high, padding=0)
        for _ in range(2):  # a paint measures the labels, the layout then resizes the axis
            widget.grab()
            QApplication.processEvents()
        return widget.getAxis("left").width()

    wide = label_room(-123456.0, 123456.0)
    assert label_room(0.0, 1.0) == wide


def test_phi_curves_always_show_zero(qtbot):
    """φ between 0.3 and 0.5 on an axis from 0.3 to 0.5 looks like a huge swing; the axis keeps 0 in view."""
    dataset = make_dataset(8)
    session = session_with(dataset)
    train = np.flatnonzero(dataset.splits == "train")
    for epoch, phi in enumerate(([0.30, 0.40], [0.35, 0.45], [0.32, 0.50])):
        session.add_valuation(make_result(epoch, "train", train, np.tile(phi, (len(train), 1)), dataset.labels))
    view = ContributionView(session)
    qtbot.addWidget(view)
    view.resize(700, 500)
    view.show()
    session.set_current(int(train[0]))
    view.displayed_phi()
    qtbot.wait(100)  # ranges settle when the plots are drawn
    for plot in (view.history_plot, view.mean_plot):
        low, high = plot.getViewBox().viewRange()[1]
        assert low <= 0 < 0.5 <= high, (plot, low, high)


def test_value_labels_never_overlap(qtbot):
    from app.views.contribution import labels_fit_across

    assert labels_fit_across([30.0, 30.0], 200.0) and not labels_fit_across([30.0] * 8, 200.0)
    modalities = ["audio", "video", "text"]
    dataset = make_dataset(4, modalities=modalities)
    session = session_with(dataset)
    phi = np.tile([0.123456, -0.234567, 0.345678], (4, 1))
    session.add_valuation(make_result(0, "train", np.arange(4), phi, dataset.labels, modalities=modalities))
    view = ContributionView(session)
    qtbot.addWidget(view)
    view.resize(420, 600)
    view.show()
    session.set_current(0)
    view.displayed_phi()
    shown = [label for label in view._coalition_bars.labels if label.isVisible()]
    slot = view.coalition_plot.getViewBox().width() / 8
    assert all(label.textItem.boundingRect().width() + 4 <= slot for label in shown), "labels overlap"
    view.resize(1400, 600)
    qtbot.waitUntil(lambda: any(label.isVisible() for label in view._coalition_bars.labels), timeout=30_000)
