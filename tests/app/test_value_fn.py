"""Showing a report's valuations under another value function (from the stored coalition statistics)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from app.session import Session
from app.state.session_state import WINDOW_VALUE_FN
from app.views.browser import SampleBrowser
from app.views.contribution import ContributionView
from app.views.queries import tie_share
from core.report.reader import open_report as read_report
from core.valuation.result import ValuationResult
from tests.app.helpers import open_report


def test_tie_share_counts_rows_whose_top_two_phi_are_equal():
    phi = np.array([[0.5, 0.5], [0.7, 0.1], [0.2, 0.2], [np.nan, np.nan]], np.float32)
    assert tie_share(phi) == pytest.approx(2 / 3)
    assert tie_share(np.array([[0.1, 0.3, 0.3], [0.3, 0.1, 0.2]])) == pytest.approx(1 / 2)
    assert tie_share(np.full((2, 2), np.nan)) is None


def test_the_window_shows_probability_first_and_switches_to_the_written_benefit(qtbot, make_controller, vector_run):
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
        assert valuation.value_fn == "benefit"  # the run values with the config's payoff
        written_phi = valuation.phi[-1]
        phi, values = valuation.values_as("probability")
        sample_index, last = valuation.sample_index, len(valuation.epochs) - 1
    column = int(np.flatnonzero(~np.isnan(phi[last]).any(axis=1))[0])
    sample = int(sample_index[column])
    session.set_current(sample)
    assert session.shown_value_fn == WINDOW_VALUE_FN == "probability"
    assert view.value_fn_chooser.currentText() == "probability"
    np.testing.assert_allclose(view.displayed_phi(), phi[last, column], atol=1e-6)
    np.testing.assert_allclose(view.displayed_coalition_values(), values[last, column], atol=1e-6)
    ties = tie_share(phi[last])
    assert browser.tie_share() == pytest.approx(ties)  # (brings the browser up to date)
    np.testing.assert_allclose(browser.model.table.phi[sample], phi[last, column], atol=1e-6)
    assert f"ties {100 * ties:.0f} %" in browser.count_label.text()  # the tie share stays on show

    browser.value_fn_chooser.setCurrentText("benefit")  # one chooser sets the session's choice
    assert session.shown_value_fn == "benefit"
    assert view.value_fn_chooser.currentText() == "benefit"
    np.testing.assert_allclose(view.displayed_phi(), written_phi[column], atol=1e-6)
    assert not np.allclose(phi[last, column], written_phi[column])  # the switch changed what is shown
    written_ties = tie_share(written_phi)
    assert browser.tie_share() == pytest.approx(written_ties)
    assert f"ties {100 * written_ties:.0f} %" in browser.count_label.text()


def test_a_report_without_statistics_offers_only_its_value_function(qtbot, make_controller, vector_run):
    controller = make_controller()
    assert open_report(qtbot, controller, vector_run.report)
    session = controller.session
    for by_epoch in session.written.values():  # as a format-1 report reads
        for epoch, result in by_epoch.items():
            by_epoch[epoch] = replace(result, coalition_correct=None, coalition_log_p=None)
    assert session.value_functions() == [session.value_fn]
    assert session.shown_value_fn == session.value_fn  # the window's default needs the statistics
    with pytest.raises(ValueError, match="cannot be shown"):
        session.set_value_fn("probability" if session.value_fn != "probability" else "benefit")


def _live_result(epoch: int) -> ValuationResult:
    """One sample, modalities a and b: p(∅) 0.5, p(a) 0.7, p(b) 0.6, p(ab) 0.9; a and ab predict right."""
    return ValuationResult(
        epoch=epoch, split="train", value_fn="benefit", modalities=["a", "b"],
        sample_index=np.array([0]), phi=np.array([[1.5, 0.5]], np.float32),
        coalition_values=np.array([[0, 1, 0, 2]], np.float32), prediction=np.array([1]), correct=np.array([True]),
        coalition_correct=np.array([[0, 1, 0, 1]], np.uint8),
        coalition_log_p=np.log(np.array([[0.5, 0.7, 0.6, 0.9]], np.float32)),
    )


def test_live_valuations_follow_the_chosen_value_function(qtbot):
    session = Session()
    session.add_valuation(_live_result(0))
    assert session.shown_value_fn == "probability"  # the window's default, from the first valuation on
    with qtbot.waitSignal(session.value_fn_changed) as changed:
        session.set_value_fn("benefit")
    assert changed.args == ["benefit"]
    np.testing.assert_allclose(session.valuations["train"][0].phi, [[1.5, 0.5]])
    session.set_value_fn("probability")
    # v = (0, 0.2, 0.1, 0.4): φ_a = (0.2 + 0.3) / 2, φ_b = (0.1 + 0.2) / 2
    np.testing.assert_allclose(session.valuations["train"][0].phi, [[0.25, 0.15]], atol=1e-6)
    np.testing.assert_allclose(session.valuations["train"][0].coalition_values, [[0, 0.2, 0.1, 0.4]], atol=1e-6)
    session.add_valuation(_live_result(1))  # a later epoch arrives already under the chosen one
    assert session.valuations["train"][1].value_fn == "probability"
    np.testing.assert_allclose(session.valuations["train"][1].phi, [[0.25, 0.15]], atol=1e-6)
    session.set_value_fn("benefit")
    np.testing.assert_allclose(session.valuations["train"][1].phi, [[1.5, 0.5]])
