"""The targeted re-sampling pane: targets, one-click presets, listing and cancelling requests."""

from __future__ import annotations

import numpy as np
import pytest

from app.controller import AppController
from app.prompts import AutoPrompter
from app.views.resampling import ResamplingPane, lowest_phi_modality, training_only, weakest_on_average
from tests.app.views.helpers import make_dataset, make_result, session_with


@pytest.fixture
def valued():
    """12 samples (splits cycle train, train, val, test); epoch 0 values the 6 training samples."""
    dataset = make_dataset(12)
    session = session_with(dataset)
    train = np.flatnonzero(dataset.splits == "train")
    phi = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.4], [0.9, 0.0], [0.05, 0.5], [0.6, 0.7]])
    session.add_valuation(make_result(0, "train", train, phi, dataset.labels))
    return session, train, phi


@pytest.fixture
def pane(qtbot, valued, settings):
    session, _, _ = valued
    controller = AppController(session, settings, AutoPrompter())
    pane = ResamplingPane(session, controller, AutoPrompter())
    qtbot.addWidget(pane)
    pane.show()
    yield pane
    controller.shutdown()


def test_only_training_samples_are_targeted(valued):
    session, train, _ = valued
    np.testing.assert_array_equal(training_only(session, np.arange(12)), train)
    np.testing.assert_array_equal(training_only(session, [5, 4, 4, 2]), [4, 5])


def test_lowest_phi_modality_per_sample_and_weakest_on_average(valued):
    session, train, phi = valued
    groups = lowest_phi_modality(session, np.concatenate([train, [2, 3]]))
    np.testing.assert_array_equal(groups[0], train[np.argmin(phi, axis=1) == 0])
    np.testing.assert_array_equal(groups[1], train[np.argmin(phi, axis=1) == 1])
    assert weakest_on_average(session) == int(np.argmin(phi.mean(axis=0)))


def test_request_on_selection_and_filter(pane, valued):
    session, train, _ = valued
    session.select([0, 1, 2])
    assert "2 training" in pane.on_selection.text()
    pane.copies.setValue(3)
    pane.epochs.setValue(0)
    request_id = pane.request("video")
    rows = pane.controller.request_rows()
    assert [(r.id, r.modality, r.copies, r.samples, r.epochs) for r in rows] == [(request_id, "video", 3, 2, None)]
    assert pane.table.item(0, 4).text() == "next run, until cancelled"
    pane.set_target("filter")
    pane.session.set_filtered([2, 3, 8, 9])  # as the browser does
    assert pane.request("audio") != request_id
    assert pane.controller.request_rows()[-1].samples == 2
    pane.session.set_filtered([2, 3])
    with pytest.raises(ValueError, match="no training sample"):
        pane.request("audio")


def test_presets(pane, valued):
    session, train, phi = valued
    session.select(train)
    ids = pane.request_low_contribution()
    rows = {r.id: r for r in pane.controller.request_rows()}
    weakest = np.argmin(phi, axis=1)
    assert [(rows[i].modality, rows[i].samples) for i in ids] == [
        (session.dataset.modalities[m], int((weakest == m).sum())) for m in (0, 1)
    ]
    request_id = pane.request_weakest_on_average()
    assert rows.keys() | {request_id} == {r.id for r in pane.controller.request_rows()}
    assert pane.controller.request_rows()[-1].modality == session.dataset.modalities[int(np.argmin(phi.mean(0)))]


def test_cancel_from_the_list_and_errors_as_messages(pane, valued):
    session, train, _ = valued
    session.select(train[:2])
    pane.request("audio")
    pane.table.selectRow(0)
    assert pane.cancel_button.isEnabled()
    pane.cancel_button.click()
    assert pane.controller.request_rows() == [] and pane.table.rowCount() == 0
    session.select([])
    pane._run(lambda: pane.request("audio"))
    assert pane.prompter.messages[-1][:2] == ("warning", "Re-sampling")
    assert "no training sample among the selected samples" in pane.prompter.messages[-1][2]


def test_presets_need_a_valuation(qtbot, settings):
    session = session_with(make_dataset(8))
    controller = AppController(session, settings, AutoPrompter())
    pane = ResamplingPane(session, controller)
    qtbot.addWidget(pane)
    session.select([0, 1])
    with pytest.raises(ValueError, match="no valuation yet"):
        pane.request_low_contribution()
    with pytest.raises(ValueError, match="no valuation yet"):
        pane.request_weakest_on_average()
    controller.shutdown()
