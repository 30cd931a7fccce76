import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from app.views.dataset_plot import DatasetPlot
from tests.app.views.helpers import make_dataset, make_result, session_with


@pytest.fixture
def grid_session():
    """40 samples with φ on a 4×4 grid of values (as the benefit payoff gives)."""
    dataset = make_dataset(40)
    session = session_with(dataset)
    rng = np.random.default_rng(1)
    phi = rng.integers(0, 4, size=(40, 2)) / 2
    prediction = rng.integers(0, 3, 40)
    session.add_valuation(make_result(0, "train", np.arange(40), phi, dataset.labels, prediction))
    return session, phi


@pytest.fixture
def plot(qtbot, grid_session):
    view = DatasetPlot(grid_session[0])
    qtbot.addWidget(view)
    view.resize(900, 450)
    view.show()
    return view


def test_scatter_draws_every_valued_sample_coloured_by_correctness(plot, grid_session):
    session, phi = grid_session
    plot.set_jitter(0)
    x, y, index = plot.scatter_points()
    assert sorted(index.tolist()) == list(range(40))
    assert np.allclose(x, phi[index, 0]) and np.allclose(y, phi[index, 1])
    right = session.latest().correct
    assert len(plot.right_points.data) == right.sum() and len(plot.wrong_points.data) == (~right).sum()


def test_jitter_spreads_points_a_little_and_keeps_them_stable(plot, grid_session):
    _, phi = grid_session
    plot.set_jitter(0.05)
    x, y, index = plot.scatter_points()
    offset = np.abs(x - phi[index, 0])
    assert offset.max() > 0 and offset.max() <= 0.05 * 1.5 / 2 + 1e-9
    plot.set_axes("audio", "video")
    assert np.array_equal(plot.scatter_points()[0], x)


def test_histogram_counts_per_modality(plot, grid_session):
    _, phi = grid_session
    edges, counts = plot.histogram_counts()
    assert counts.shape[0] == 2
    assert counts[0].sum() == 40 and counts[1].sum() == 40
    assert counts[0, 0] == np.sum(phi[:, 0] < edges[1])


def test_select_rect_selects_the_samples_inside(plot, grid_session):
    session, phi = grid_session
    plot.set_jitter(0)
    inside = plot.select_rect(0.4, 1.1, 0.4, 1.1)
    expected = np.flatnonzero((phi[:, 0] >= 0.4) & (phi[:, 0] <= 1.1) & (phi[:, 1] >= 0.4) & (phi[:, 1] <= 1.1))
    assert sorted(inside.tolist()) == expected.tolist()
    assert session.selection.tolist() == expected.tolist()
    plot.select_rect(-0.1, 0.1, -0.1, 0.1, add=True)
    corner = np.flatnonzero((phi[:, 0] == 0) & (phi[:, 1] == 0))
    assert session.selection.tolist() == sorted(set(expected) | set(corner))


def test_dragging_a_rectangle_on_the_scatter_brushes_samples(qtbot, plot, grid_session):
    session, phi = grid_session
    plot.set_jitter(0)
    view, box = plot.scatter_plot, plot.brush_box
    qtbot.wait(50)  # let the plot lay out so data→pixel mapping is final

    def pixel(x: float, y: float) -> QPoint:
        return view.mapFromScene(box.mapViewToScene(QPointF(x, y)))

    viewport = view.viewport()

    def send(kind, point, button, buttons):
        event = QMouseEvent(kind, QPointF(point), QPointF(viewport.mapToGlobal(point)), button, buttons,
                            Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(viewport, event)

    left = Qt.MouseButton.LeftButton
    start, end = pixel(0.75, 1.25), pixel(1.75, 0.25)  # φ audio in [0.75, 1.75], φ video in [0.25, 1.25]
    send(QEvent.Type.MouseButtonPress, start, left, left)
    for t in np.linspace(0.1, 1, 6):
        point = QPoint(round(start.x() + t * (end.x() - start.x())), round(start.y() + t * (end.y() - start.y())))
        send(QEvent.Type.MouseMove, point, Qt.MouseButton.NoButton, left)
        qtbot.wait(15)  # pyqtgraph ignores mouse moves closer than its rate limit
    send(QEvent.Type.MouseButtonRelease, end, left, Qt.MouseButton.NoButton)

    expected = np.flatnonzero((phi[:, 0] >= 0.75) & (phi[:, 0] <= 1.75) & (phi[:, 1] >= 0.25) & (phi[:, 1] <= 1.25))
    assert len(expected) > 0
    assert session.selection.tolist() == expected.tolist()
    assert len(plot.selected_points.data) == len(expected)


def test_updates_on_a_new_epoch_and_shows_nothing_before_any(qtbot):
    dataset = make_dataset(8)
    session = session_with(dataset)
    view = DatasetPlot(session)
    qtbot.addWidget(view)
    view.show()
    assert len(view.scatter_points()[2]) == 0 and "not valued" in view.note.text()
    session.add_valuation(make_result(0, "train", np.arange(4), np.ones((4, 2)), dataset.labels))
    assert sorted(view.scatter_points()[2].tolist()) == [0, 1, 2, 3]
    assert "epoch 1" in view.note.text() and "ties between modalities 100 %" in view.note.text()
    session.add_valuation(make_result(1, "train", np.arange(4), np.array([[1, 0], [0, 1], [1, 1], [2, 0.5]]),
                                      dataset.labels))
    view.scatter_points()  # (flushes the refresh)
    assert "epoch 2" in view.note.text() and "ties between modalities 25 %" in view.note.text()
