"""Showing a report's valuations under another value function (from the stored coalition statistics)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.views.browser import SampleBrowser
from app.views.contribution import ContributionView
from app.views.queries import tie_share
from core.report.reader import open_report as read_report
from tests.app.helpers import open_report


def test_tie_share_counts_rows_whose_top_two_phi_are_equal():
    phi = np.array([[0.5, 0.5], [0.7, 0.1], [0.2, 0.2], [np.nan, np.nan]], np.float32)
    assert tie_share(phi) == pytest.approx(2 / 3)
    assert tie_share(np.array([[0.1, 0.3, 0.3], [0.3, 0.1, 0.2]])) == pytest.approx(1 / 2)
    assert tie_share(np.full((2, 2), np.nan)) is None


def test_switching_to_probability_shows_its_phi(qtbot, make_controller, vector_run):
    controller = make_controller()
    assert open_report(qtbot, controller, vector_run.report)
    session = controller.session
    browser, view = SampleBrowser(session), ContributionView(session)
    qtbot.addWidget(browser)
    qtbot.addWidget(view)
    browser.show()
    view.show()
    assert set(session.value_functions()) >= {"benefit", "accuracy", "probability", "log-probability"}

    with read_report(vector_run.report) as report:
        valuation = report.valuation["train"]
        written_phi = valuation.phi[-1]
        phi, values = valuation.values_as("probability")
        sample_index, last = valuation.sample_index, len(valuation.epochs) - 1
    column = int(np.flatnonzero(~np.isnan(phi[last]).any(axis=1))[0])
    sample = int(sample_index[column])
    session.set_current(sample)
    np.testing.assert_allclose(view.displayed_phi(), written_phi[column], atol=1e-6)

    assert view.value_fn_chooser.findText("probability") >= 0
    browser.value_fn_chooser.setCurrentText("probability")  # one chooser sets the session's choice
    assert session.shown_value_fn == "probability"
    assert view.value_fn_chooser.currentText() == "probability"
    np.testing.assert_allclose(view.displayed_phi(), phi[last, column], atol=1e-6)
    np.testing.assert_allclose(view.displayed_coalition_values(), values[last, column], atol=1e-6)
    assert not np.allclose(phi[last, column], written_phi[column])  # the switch changed what is shown
    ties = tie_share(phi[last])
    assert browser.tie_share() == pytest.approx(ties)  # (brings the browser up to date)
    np.testing.assert_allclose(browser.model.table.phi[sample], phi[last, column], atol=1e-6)
    assert f"ties {100 * ties:.0f} %" in browser.count_label.text()


def test_a_report_without_statistics_offers_only_its_value_function(qtbot, make_controller, vector_run):
    controller = make_controller()
    assert open_report(qtbot, controller, vector_run.report)
    session = controller.session
    for by_epoch in session.written.values():  # as a format-1 report reads
        for epoch, result in by_epoch.items():
            by_epoch[epoch] = replace(result, coalition_correct=None, coalition_log_p=None)
    assert session.value_functions() == [session.value_fn]
    with pytest.raises(ValueError, match="cannot be shown"):
        session.set_value_fn("probability" if session.value_fn != "probability" else "benefit")
