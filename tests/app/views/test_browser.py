import numpy as np
import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from app.views.browser import SampleBrowser
from app.views.queries import epoch_values
from tests.app.views.helpers import make_result


@pytest.fixture
def browser(qtbot, valued_session):
    view = SampleBrowser(valued_session)
    qtbot.addWidget(view)
    view.resize(1200, 600)
    view.show()
    return view


def shown_text(browser, row: int, key: str) -> str:
    model = browser.model
    return model.data(model.index(row, model.column_index(key)))


def test_table_shows_phi_of_each_row(browser, valued_session):
    phi = epoch_values(valued_session).phi
    for row, index in enumerate(browser.model.order):
        text = shown_text(browser, row, "phi:video")
        assert text == ("" if np.isnan(phi[index, 1]) else f"{phi[index, 1]:.3f}")
    assert "12 of 12 samples" in browser.count_label.text()


def test_clicking_the_header_sorts_by_phi(browser, valued_session):
    column = browser.model.column_index("phi:audio")
    browser.view.sortByColumn(column, Qt.SortOrder.DescendingOrder)
    phi = epoch_values(valued_session).phi[browser.model.order, 0]
    valued = phi[~np.isnan(phi)]
    assert np.array_equal(valued, np.sort(valued)[::-1])


def test_each_filter(browser, valued_session):
    dataset = valued_session.dataset
    browser.set_text_filter("S1")  # ids s1, s10, s11 (case-insensitive)
    assert sorted(browser.filtered_indices().tolist()) == [1, 10, 11]
    browser.set_text_filter("spk3")  # metadata: speaker spk3 = samples 3 and 8
    assert sorted(browser.filtered_indices().tolist()) == [3, 8]
    browser.set_text_filter("bird")  # label name
    assert sorted(browser.filtered_indices().tolist()) == np.flatnonzero(dataset.labels == 2).tolist()
    browser.filters.clear()

    browser.set_label_filter(1)
    assert sorted(browser.filtered_indices().tolist()) == np.flatnonzero(dataset.labels == 1).tolist()
    browser.set_label_filter(None)
    browser.set_split_filter("val")
    assert sorted(browser.filtered_indices().tolist()) == [2, 6, 10]
    browser.set_split_filter(None)

    browser.set_correct_filter("incorrect")
    assert sorted(browser.filtered_indices().tolist()) == [0, 5]
    browser.set_correct_filter("not valued")
    assert sorted(browser.filtered_indices().tolist()) == [3, 7, 11]
    browser.set_correct_filter("any")

    phi = epoch_values(valued_session).phi
    browser.set_phi_filter("audio", 0.0, None)
    assert sorted(browser.filtered_indices().tolist()) == np.flatnonzero(phi[:, 0] >= 0).tolist()
    browser.set_phi_filter("video", None, 1.0)
    expected = np.flatnonzero((phi[:, 0] >= 0) & (phi[:, 1] <= 1.0))
    assert sorted(browser.filtered_indices().tolist()) == expected.tolist()
    assert browser.model.rowCount() == len(expected)
    with pytest.raises(ValueError, match="unknown modality"):
        browser.set_phi_filter("depth", 0, 1)


def test_selecting_rows_selects_samples_in_the_session(browser, valued_session):
    model = browser.model
    browser.view.sortByColumn(model.column_index("phi:video"), Qt.SortOrder.AscendingOrder)
    browser.view.selectRow(0)
    first = int(model.order[0])
    assert valued_session.selection.tolist() == [first] and valued_session.current == first
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    browser.view.selectionModel().select(model.index(2, 0), flags)
    assert valued_session.selection.tolist() == sorted([first, int(model.order[2])])


def test_session_selection_shows_in_the_table_and_survives_a_new_epoch(qtbot, browser, valued_session):
    valued_session.select([4, 9])
    rows = sorted(index.row() for index in browser.view.selectionModel().selectedRows())
    assert [int(browser.model.order[r]) for r in rows] == [4, 9]

    browser.view.sortByColumn(browser.model.column_index("phi:audio"), Qt.SortOrder.DescendingOrder)
    dataset = valued_session.dataset
    train = np.flatnonzero(dataset.splits == "train")
    new_phi = np.stack([np.linspace(3, -3, len(train)), np.zeros(len(train))], axis=1)
    valued_session.add_valuation(make_result(1, "train", train, new_phi, dataset.labels))

    qtbot.waitUntil(lambda: "epoch 2" in browser.count_label.text(), timeout=30_000)  # on the next turn
    assert shown_text(browser, 0, "phi:audio") == "3.000"  # re-sorted on the new values
    rows = sorted(index.row() for index in browser.view.selectionModel().selectedRows())
    assert sorted(int(browser.model.order[r]) for r in rows) == [4, 9]
    assert valued_session.selection.tolist() == [4, 9]

    browser.set_epoch(0)  # back to the first epoch's values
    row = int(browser.model.rows_of(np.array([0]))[0])
    assert shown_text(browser, row, "phi:audio") == "-1.000"


def test_hidden_browser_defers_work_but_answers_queries(qtbot, valued_session):
    browser = SampleBrowser(valued_session)
    qtbot.addWidget(browser)  # never shown
    assert browser.model.rowCount() == 0  # nothing built while hidden
    browser.set_split_filter("test")
    assert sorted(browser.filtered_indices().tolist()) == [3, 7, 11]
