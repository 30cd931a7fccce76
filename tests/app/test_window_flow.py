"""The whole flow in the window: open data, train, inspect, filter, re-sample, train on, export, reopen."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app.controller import Mode
from app.prompts import AutoPrompter
from core.report.reader import open_report
from tests.app.helpers import open_dataset, wait_run_ended
from tests.app.helpers import open_report as report_opened

TRAIN_TIMEOUT_MS = 90_000


def shown_bar_heights(view) -> np.ndarray:
    bars = [item for item in view.phi_plot.items if isinstance(item, pg.BarGraphItem)]
    return np.concatenate([np.atleast_1d(b.opts["height"]) for b in bars]) if bars else np.zeros(0)


def test_open_train_inspect_filter_resample_export_reopen(qtbot, make_window, av_demo, tmp_path):
    prompter = AutoPrompter()
    window = make_window(prompter)

    # 1. the samples are listed before any training, and training is one click away
    assert open_dataset(qtbot, window.controller, av_demo)
    session = window.session
    assert len(window.browser.filtered_indices()) == 40
    assert window.banner.isVisible() and window.banner.button.isVisible()
    assert session.run_state == "idle" and not session.valuations

    # 2. one epoch with small settings, started from the banner
    window.training.strategy.setCurrentText("joint")
    window.training.epochs.setValue(1)
    window.training.batch_size.setValue(16)
    with qtbot.waitSignal(session.valuation_added, timeout=TRAIN_TIMEOUT_MS) as valued:
        window.banner.button.click()
    assert valued.args == ["train", 0]
    wait_run_ended(qtbot, window.controller)
    assert session.run_state == "finished", prompter.messages
    run_dir = session.run_dir
    report_path = run_dir / "report.h5"
    assert report_path.is_file() and session.report_path == report_path

    # 3. selecting a sample shows its φ from the report (under the value function the window shows)
    shown = session.shown_value_fn
    with open_report(report_path) as report:
        valuation = report.valuation["train"]
        train_index = np.sort(valuation.sample_index)
        sample = int(train_index[3])
        expected = valuation.values_as(shown)[0][0, valuation.sample_index.tolist().index(sample)]
        # every split is valued: the browser filters train, val and test samples alike
        every = [report.valuation[split] for split in report.valuation]
        all_phi = np.concatenate([v.values_as(shown)[0][0] for v in every])
        stored_index = np.concatenate([v.sample_index for v in every])
    window.select_sample(sample)
    assert session.current == sample
    np.testing.assert_allclose(window.contribution.displayed_phi(), expected, rtol=1e-6)
    np.testing.assert_allclose(shown_bar_heights(window.contribution), expected, rtol=1e-6)

    # 4. filtering by φ keeps exactly the samples in range (from the report's values)
    video = session.dataset.modalities.index("video")
    threshold = float(np.median(all_phi[:, video]))
    window.browser.set_phi_filter("video", threshold, None)
    filtered = np.sort(window.browser.filtered_indices())
    expected_rows = np.sort(stored_index[all_phi[:, video] >= threshold])
    np.testing.assert_array_equal(filtered, expected_rows)

    # 5. a targeted request on the filter, kept for the next epoch (the run has ended)
    window.docks["resampling"].raise_()
    window.resampling.set_target("filter")
    window.resampling.copies.setValue(2)
    window.resampling.epochs.setValue(1)
    request_id = window.resampling.request("audio")
    assert request_id < 0
    rows = window.controller.request_rows()
    filtered_train = np.intersect1d(filtered, train_index)  # only training samples are ever copied
    assert [(r.status, r.modality, r.samples) for r in rows] == [("pending", "audio", len(filtered_train))]
    assert window.resampling.table.rowCount() == 1

    # 6. a second epoch trains on it: the plan, the table and the report record it as user-requested
    with qtbot.waitSignal(session.resampling_changed, timeout=TRAIN_TIMEOUT_MS):
        assert window.resume_training(session.last_checkpoint, epochs=2)
    wait_run_ended(qtbot, window.controller)
    assert session.run_state == "finished", prompter.messages
    assert sorted(session.valuations["train"]) == [0, 1]
    np.testing.assert_array_equal(np.flatnonzero(session.user_copies), filtered_train)
    assert set(session.user_copies[filtered_train].tolist()) == {2}
    with open_report(report_path) as report:
        table = report.resampling
        mine = (table.epoch == 1) & table.user_requested
        np.testing.assert_array_equal(np.sort(table.sample_index[mine]), filtered_train)
        assert set(table.copies[mine].tolist()) == {2}
        assert {table.modalities[m] for m in table.modality[mine]} == {"audio"}
        assert not ((table.epoch == 0) & table.user_requested).any()
    assert [r.status for r in window.controller.request_rows()] == ["done"]

    # 7. export the whole run and the selection, then reopen the export and browse it
    whole = window.controller.export(tmp_path / "whole.h5")
    window.session.select([sample, int(train_index[0])])
    part = window.controller.export(tmp_path / "part.h5", samples=window.session.selection)
    assert not list(tmp_path.glob("*.tmp"))
    with open_report(part) as report:
        assert len(report.dataset) == 2
    assert report_opened(qtbot, window.controller, whole)
    assert window.mode == Mode.REPORT
    assert window.session.report_path == whole
    assert sorted(window.session.valuations["train"]) == [0, 1]
    window.select_sample(sample)
    with open_report(report_path) as report:
        train = report.valuation["train"]
        latest = train.values_as(shown)[0][train.epochs.tolist().index(1), train.sample_index.tolist().index(sample)]
    np.testing.assert_allclose(window.contribution.displayed_phi(), latest, rtol=1e-6)
    assert not [m for m in prompter.messages if m[0] == "error"]


def test_bad_files_give_a_clear_message(qtbot, make_window, tmp_path):
    prompter = AutoPrompter()
    window = make_window(prompter)
    text = tmp_path / "notes.h5"
    text.write_text("not a report")
    assert not report_opened(qtbot, window.controller, text)
    assert not open_dataset(qtbot, window.controller, tmp_path)
    kinds = [(kind, title) for kind, title, _ in prompter.messages]
    assert kinds == [("error", "Cannot open report"), ("error", "Cannot open dataset")]
    report_message, dataset_message = (m[2] for m in prompter.messages)
    assert str(text) in report_message and "not an HDF5 file" in report_message
    assert "manifest" in dataset_message and "Traceback" not in report_message + dataset_message
    assert window.session.dataset is None
