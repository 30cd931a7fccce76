"""Session: a dataset listed from its manifest, a report loaded whole or followed epoch by epoch."""

from __future__ import annotations

import numpy as np

from app.session import Session
from app.state.samples import SampleSet
from core import events as ev
from core.data.manifest import load_manifest
from core.report.reader import open_report
from core.report.writer import ReportWriter


def live_session(events) -> Session:
    session = Session()
    for event in events:
        session.apply(event)
    return session


def test_sample_set_from_manifest_lists_every_sample(vector_demo):
    manifest = load_manifest(vector_demo)
    view = SampleSet.from_samples(manifest)
    assert len(view) == len(manifest) == 48
    assert list(view.ids) == list(manifest.samples.ids)
    assert view.modalities == ["x1", "x2"] and view.modality_kinds == {"x1": "vector", "x2": "vector"}
    assert view.media_path(3, "x2") == vector_demo / manifest.samples.media["x2"][3]
    assert view.media_found()
    assert not view.with_root(vector_demo.parent).media_found()


def test_sample_sets_hold_text_columns_the_sample_table_uses_as_they_are(tmp_path):
    from app.views.table_model import SampleTable
    from tests.app.views.helpers import make_dataset
    from tests.report import run_events

    path = tmp_path / "report.h5"
    writer = ReportWriter(path)
    for event in run_events.run(run_events.prepared(12), epochs=1):  # metadata: one text, one number column
        writer(event)
    writer.close()
    with open_report(path) as report:
        view = SampleSet.from_report(report.dataset, report.modalities)
    assert {name: column.dtype.kind for name, column in view.metadata.items()} == {"speaker": "U", "snr": "U"}
    assert view.ids.dtype.kind == "U" and view.splits.dtype.kind == "U"
    table = SampleTable.from_dataset(view)  # on the GUI thread: no conversion, the same arrays
    assert table.samples is view.samples and table.samples.ids is view.ids and table.samples.splits is view.splits
    built = make_dataset(3)  # from object columns: the view converts them itself
    assert built.ids.dtype.kind == built.splits.dtype.kind == built.metadata["speaker"].dtype.kind == "U"


def test_show_dataset_forgets_the_previous_run(vector_run, vector_demo):
    session = live_session(vector_run.events)
    assert session.run_dir is not None and session.valuations
    session.show_dataset(SampleSet.from_samples(load_manifest(vector_demo)))
    assert session.run_dir is None and session.report_path is None and not session.valuations
    assert session.run_state == "idle" and session.device == ""


def test_loaded_report_matches_the_live_session(vector_run):
    live = live_session(vector_run.events)
    loaded = Session()
    with open_report(vector_run.report) as report:
        loaded.load_report(report)
    assert loaded.run_state == "finished" and loaded.report_path == vector_run.report
    assert loaded.device == live.device
    for split, epochs in live.valuations.items():
        assert sorted(loaded.valuations[split]) == sorted(epochs)
        for epoch, result in epochs.items():
            other = loaded.valuations[split][epoch]
            np.testing.assert_array_equal(other.sample_index, result.sample_index)
            np.testing.assert_allclose(other.phi, result.phi, rtol=1e-6)
            np.testing.assert_array_equal(other.correct, result.correct)
    assert set(loaded.step_metrics) == set(live.step_metrics)
    for key in ("loss", "acc", "mi/I/joint"):
        np.testing.assert_allclose(loaded.step_metrics[key].arrays()[2], live.step_metrics[key].arrays()[2])
    for key in ("val/acc", "train/loss"):
        np.testing.assert_allclose(loaded.epoch_metrics[key].arrays()[0], live.epoch_metrics[key].arrays()[0])
        np.testing.assert_allclose(loaded.epoch_metrics[key].arrays()[2], live.epoch_metrics[key].arrays()[2])
    assert loaded.epoch_last_step == live.epoch_last_step
    assert loaded.steps_per_epoch == live.steps_per_epoch
    np.testing.assert_array_equal(loaded.user_copies, live.user_copies)
    assert loaded.user_copies_by_epoch == live.user_copies_by_epoch == {0: 2 * len(vector_run.request_samples), 1: 0}
    assert loaded.copies_by_epoch == live.copies_by_epoch


def test_sync_report_adds_only_new_epochs(vector_run, tmp_path, qtbot):
    path = tmp_path / "live.h5"
    writer = ReportWriter(path)
    first_valuation = next(i for i, e in enumerate(vector_run.events) if isinstance(e, ev.ValuationReady))
    for event in vector_run.events[: first_valuation + 1]:
        writer(event)
    session = Session()
    report = open_report(path)
    try:
        session.load_report(report)
        assert session.run_state == "running"
        assert session.epochs() == [0]
        added = []
        session.valuation_added.connect(lambda split, epoch: added.append((split, epoch)))
        for event in vector_run.events[first_valuation + 1 :]:
            writer(event)
        assert report.refresh()
        session.sync_report(report)
        assert session.epochs() == [0, 1]
        assert added == [("train", 1)]
        assert session.run_state == "finished"
        assert not report.refresh()
    finally:
        report.close()
        writer.close()


def test_media_root_can_be_moved(vector_demo, qtbot):
    session = Session()
    session.set_dataset(SampleSet.from_samples(load_manifest(vector_demo)).with_root("/nowhere"))
    assert not session.dataset.media_found()
    with qtbot.waitSignal(session.media_root_changed):
        session.set_media_root(vector_demo)
    assert session.dataset.media_found()


def test_a_resumed_run_keeps_the_shown_epochs_only_for_the_same_samples(vector_run):
    import dataclasses

    started = next(e for e in vector_run.events if isinstance(e, ev.RunStarted))
    resumed = dataclasses.replace(started, start_epoch=1)
    session = live_session(vector_run.events)
    session.apply(resumed)
    assert session.valuations, "same dataset: the epochs on show stay"

    ids = np.array([f"other-{i}" for i in range(len(started.dataset))])
    other = dataclasses.replace(started.dataset, samples=dataclasses.replace(started.dataset.samples, ids=ids))
    session = live_session(vector_run.events)
    session.apply(dataclasses.replace(resumed, dataset=other))
    assert not session.valuations and list(session.dataset.ids) == list(other.samples.ids)


def test_every_state_change_is_a_session_signal(qtbot, vector_demo):
    from PySide6.QtCore import SignalInstance

    from app.state.session_state import Change

    session = Session()
    assert all(isinstance(getattr(session, change.value), SignalInstance) for change in Change)
    with qtbot.waitSignals([session.dataset_changed, session.run_state_changed]):
        session.show_dataset(SampleSet.from_samples(load_manifest(vector_demo)))
