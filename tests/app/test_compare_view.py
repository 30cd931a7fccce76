"""The Compare view and the experiment table in the window: two runs of a tiny experiment compared sample
by sample (counts as core computes them, the browser filtered to the samples B fixed or broke, both runs'
bars for the selected sample), and the experiment's runs listed in a table from which two are compared."""

from __future__ import annotations

import numpy as np
import pytest

from app.prompts import AutoPrompter
from core.experiments.compare import BOTH_RIGHT, BOTH_WRONG, BROKEN, FIXED, compare_runs
from core.experiments.experiment import run_experiment
from core.experiments.readout import run_figures
from tests.app.helpers import LOAD_TIMEOUT_MS, wait_loaded
from tests.experiments.tiny import tiny_spec

CATEGORIES = (FIXED, BROKEN, BOTH_RIGHT, BOTH_WRONG)
RUNS = ("vec.joint.seed0", "vec.ogm-ge.seed0")


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    """Two one-epoch runs (joint, ogm-ge) on a 200-sample vector demo: 30 test samples."""
    spec = tiny_spec(seeds=(0,))
    spec.datasets[0].samples = 200
    exp = tmp_path_factory.mktemp("experiment") / "EXP"
    results = run_experiment(spec, exp, jobs=1)
    assert {r.state for r in results} == {"finished"}
    return exp


def _pair_with_fixes(exp):
    """(run A, run B, core's comparison) in the direction where B fixed at least one sample."""
    a, b = (exp / "runs" / name for name in RUNS)
    core = compare_runs(a, b)
    if core.count(FIXED) == 0:
        a, b = b, a
        core = compare_runs(a, b)
    assert core.count(FIXED) > 0, "the two runs predict the test samples alike: nothing to compare"
    return a, b, core


def _wait_compared(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.compare.result is not None, timeout=LOAD_TIMEOUT_MS)
    wait_loaded(qtbot, window.controller)


def test_compare_view_counts_filters_the_browser_and_shows_both_runs_bars(qtbot, make_window, experiment):
    prompter = AutoPrompter()
    window = make_window(prompter)
    a, b, core = _pair_with_fixes(experiment)

    assert window.controller.compare_runs(a, b) is not None
    _wait_compared(qtbot, window)
    view, session = window.compare, window.session
    shown = view.result.comparison
    assert {k: shown.count(k) for k in CATEGORIES} == {k: core.count(k) for k in CATEGORIES}
    assert view.result.names == (a.name, b.name)
    assert f"fixed by B <b>{core.count(FIXED)}</b>" in view.summary.text()
    assert view.scatter_counts() == {k: core.count(k) for k in CATEGORIES}
    assert not [m for m in prompter.messages if m[0] == "error"], prompter.messages

    # nothing was on show: B's report is opened so that the browser lists the compared samples
    assert session.report_path == b / "report.h5"
    row_of = {sample: row for row, sample in enumerate(session.dataset.ids.tolist())}
    qtbot.waitUntil(lambda: window.browser.epoch_chooser.epoch() == core.b.epoch, timeout=LOAD_TIMEOUT_MS)
    for category in (FIXED, BROKEN):
        expected = np.sort([row_of[str(core.a.ids[i])] for i in core.samples(category)])
        view.set_browser_choice(category)
        np.testing.assert_array_equal(np.sort(window.browser.filtered_indices()), expected)
        assert window.browser.filters.samples_label.isVisible()
        # the browser shows B at the epoch compared: B is right on what it fixed, wrong on what it broke
        assert set(window.browser.model.table.correct[expected].tolist()) <= {int(category == FIXED)}
    view.set_browser_choice("all")
    assert len(window.browser.filtered_indices()) == len(session.dataset)

    # a fixed sample selected: both runs' φ bars, as core read them
    position = int(core.samples(FIXED)[0])
    window.select_sample(row_of[str(core.a.ids[position])])
    phi_a, phi_b = view.shown_pair()
    np.testing.assert_allclose(phi_a, core.a.phi[position])
    np.testing.assert_allclose(phi_b, core.b.phi[position])
    np.testing.assert_allclose(view.bar_items[0].opts["height"], core.a.phi[position])
    np.testing.assert_allclose(view.bar_items[1].opts["height"], core.b.phi[position])
    assert "fixed by B" in view.bars_title.text()


def test_experiment_table_lists_the_runs_and_compares_two(qtbot, make_window, experiment):
    window = make_window()
    assert window.controller.open_experiment(experiment) is not None
    qtbot.waitUntil(lambda: window.experiment_table is not None, timeout=LOAD_TIMEOUT_MS)
    table = window.experiment_table
    assert table.run_names() == list(RUNS)
    assert [run.state for run in table.runs.runs] == ["finished", "finished"]
    for run in table.runs.runs:
        assert run.test_acc == pytest.approx(run_figures(run.run_dir).values["test_acc"])
    assert table.table.rowCount() == 2 and not table.compare_button.isEnabled()

    table.choose(RUNS[1], RUNS[0])
    a, b = table.pair()
    assert (a.name, b.name) == RUNS  # the baseline strategy's run is A
    table.swap_button.click()
    assert [run.name for run in table.pair()] == list(reversed(RUNS))
    table.swap_button.click()
    assert table.compare()
    _wait_compared(qtbot, window)
    core = compare_runs(*(experiment / "runs" / name for name in RUNS))
    assert window.compare.result.names == RUNS
    assert window.compare.result.comparison.count(BROKEN) == core.count(BROKEN)


def test_runs_that_cannot_be_compared_give_one_message(qtbot, make_window, experiment, tmp_path):
    prompter = AutoPrompter()
    window = make_window(prompter)
    task = window.controller.compare_runs(tmp_path / "missing", experiment / "runs" / RUNS[0])
    qtbot.waitUntil(task.finished, timeout=LOAD_TIMEOUT_MS)
    qtbot.waitUntil(lambda: bool(prompter.messages), timeout=LOAD_TIMEOUT_MS)
    kind, title, text = prompter.messages[-1]
    assert (kind, title) == ("error", "Cannot compare runs") and "missing" in text
    assert window.compare.result is None
