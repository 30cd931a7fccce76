"""Run → Value split now: a finished run's unvalued split is valued into its report and shown."""

from __future__ import annotations

import argparse
import csv
import shutil

import numpy as np

from app.views.contribution import ContributionView
from core.cli import value as value_cli
from core.report.reader import open_report as read_report
from tests.app.helpers import LOAD_TIMEOUT_MS, open_report


def test_value_split_now_adds_the_split_to_the_report_and_shows_it(qtbot, make_controller, vector_run, tmp_path):
    run_dir = tmp_path / "run"
    shutil.copytree(vector_run.run_dir, run_dir, ignore=shutil.ignore_patterns("*.lock"))
    controller = make_controller()
    assert open_report(qtbot, controller, run_dir / "report.h5")
    session = controller.session
    assert list(session.valuations) == ["train"]
    assert "val" in controller.unvalued_splits() and controller.can("value")
    val = np.flatnonzero(np.asarray(session.dataset.splits).astype(str) == "val")
    view = ContributionView(session)
    qtbot.addWidget(view)
    view.show()
    session.set_current(int(val[0]))
    view.displayed_phi()
    assert "not valued in this run (Run → Value split now…)" in view.heading.text()

    task = controller.value_split_now("val")
    assert task is not None
    qtbot.waitUntil(lambda: "val" in session.valuations, timeout=LOAD_TIMEOUT_MS * 2)
    assert not controller.can("value") or "val" not in controller.unvalued_splits()
    with read_report(run_dir / "report.h5") as report:
        stored = report.valuation["val"]
        assert set(stored.sample_index.tolist()) == set(val.tolist())
        assert stored.epochs.tolist() == [int(report.valuation["train"].epochs.max())]  # the checkpoint's epoch

    out = tmp_path / "val.csv"  # the CLI's own computation of the same split
    args = argparse.Namespace(checkpoint=str(run_dir), trust_checkpoint=False, data=str(session.dataset.root),
                              split="val", value_fn=session.shown_value_fn, absence=None, recipe=None,
                              device="cpu", out=str(out), into_report=False, media_root=None)
    assert value_cli.run(args) == 0
    with out.open() as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle)}
    sample = int(val[0])
    expected = [float(rows[str(session.dataset.ids[sample])][f"phi_{m}"]) for m in session.dataset.modalities]
    np.testing.assert_allclose(view.displayed_phi(), expected, atol=1e-5)
