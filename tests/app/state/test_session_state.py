"""SessionState without Qt: engine events applied in order, report snapshots, selection and notices."""

from __future__ import annotations

import numpy as np
import pytest

from app.state.session_state import Change, SessionState
from core import events as ev
from core.run_files.state import RunState
from tests.report import run_events


@pytest.fixture
def data():
    return run_events.prepared(10)


def recorded() -> tuple[SessionState, list[tuple]]:
    notices: list[tuple] = []
    state = SessionState(lambda change, *args: notices.append((change, *args)))
    return state, notices


def test_a_whole_run_applied_in_order_gives_its_state(data):
    state, notices = recorded()
    for event in run_events.run(data, epochs=2):
        state.apply(event)
    assert state.run_state == RunState.FINISHED and state.run_dir is not None
    assert state.device == "cpu" and state.total_epochs == 2 and state.steps_per_epoch == run_events.STEPS_PER_EPOCH
    assert len(state.dataset) == 10 and state.dataset.ids.dtype.kind == "U"
    assert state.epochs("train") == state.epochs("val") == [0, 1]
    np.testing.assert_array_equal(state.latest("val").sample_index, data.samples.split_indices("val"))
    assert state.epoch_last_step == {0: 2, 1: 5} and state.start_wall == 100.0
    steps, _, losses = state.step_metrics["loss"].arrays()
    assert steps.tolist() == list(range(6)) and losses[0] == 1.0
    assert state.epoch_metrics["val/acc"].arrays()[0].tolist() == [1, 2]  # epochs done
    assert state.copies_by_epoch == {1: 3, 2: 6} and state.user_copies_by_epoch == {1: 1, 2: 1}
    assert notices[0] == (Change.DATASET,) and notices[1] == (Change.RUN_STATE, RunState.RUNNING)
    assert notices[-1] == (Change.RUN_STATE, RunState.FINISHED)
    assert notices.count((Change.VALUATION_ADDED, "train", 1)) == 1
    assert state.unvalued_splits() == []  # train and val valued; no test samples


def test_pause_failure_log_and_checkpoint_events(data):
    state, notices = recorded()
    state.apply(run_events.run_started(data))
    state.apply(ev.RunPaused(paused=True))
    assert state.run_state == RunState.PAUSED
    state.apply(ev.RunPaused(paused=False))
    assert state.run_state == RunState.RUNNING
    state.apply(ev.CheckpointSaved(epoch=1, path="/runs/tiny/checkpoints/epoch-1.pt", best=False))
    assert str(state.last_checkpoint) == "/runs/tiny/checkpoints/epoch-1.pt"
    state.apply(ev.LogMessage(level="info", text="hello"))
    state.apply(ev.RunFailed(error="boom", traceback="Traceback …"))
    assert state.run_state == RunState.FAILED and state.last_error == "boom"
    assert notices[-4:] == [(Change.LOG, "info", "hello"), (Change.LOG, "error", "boom"),
                            (Change.LOG, "debug", "Traceback …"), (Change.RUN_STATE, RunState.FAILED)]


def test_events_of_unknown_types_are_ignored(data):
    state, notices = recorded()
    state.apply(run_events.run_started(data))
    before = (state.run_state, len(notices), state.dataset)

    class NotAnEvent:
        pass

    for event in (object(), "running", NotAnEvent(), None):
        state.apply(event)
    assert (state.run_state, len(notices), state.dataset) == before


def test_every_engine_event_has_its_own_handler():
    handled = SessionState._handlers
    emitted = {ev.RunStarted, ev.StepMetrics, ev.EpochMetrics, ev.ValuationReady, ev.ResamplingPlanned, ev.Progress,
               ev.RunPaused, ev.LogMessage, ev.CheckpointSaved, ev.RunFinished, ev.RunFailed}
    assert set(handled) == emitted
    assert len(set(handled.values())) == len(handled)


def test_a_resumed_run_keeps_the_shown_epochs_of_the_same_samples(data):
    state, _ = recorded()
    for event in run_events.run(data, epochs=1):
        state.apply(event)
    state.apply(run_events.run_started(data, start_epoch=1))
    assert state.epochs() == [0] and state.run_state == RunState.RUNNING
    state.apply(run_events.run_started(run_events.prepared(12), start_epoch=1))
    assert state.epochs() == [] and len(state.dataset) == 12


def test_a_report_snapshot_matches_the_live_state(data, tmp_path):
    from core.report.reader import open_report
    from core.report.writer import ReportWriter

    live, _ = recorded()
    writer = ReportWriter(tmp_path / "report.h5")
    for event in run_events.run(data, epochs=2):
        live.apply(event)
        writer(event)
    writer.close()
    loaded, notices = recorded()
    with open_report(tmp_path / "report.h5") as report:
        loaded.load_report(report)
    assert loaded.run_state == RunState.FINISHED and loaded.report_path == tmp_path / "report.h5"
    assert loaded.epochs("val") == live.epochs("val") and loaded.steps_per_epoch == live.steps_per_epoch
    np.testing.assert_allclose(loaded.written["train"][1].phi, live.written["train"][1].phi, rtol=1e-6)
    np.testing.assert_array_equal(loaded.copies, live.copies)
    assert notices[0] == (Change.DATASET,) and notices[-1] == (Change.RUN_STATE, RunState.FINISHED)


def test_selection_current_and_filter_notify_only_on_change(data):
    state, notices = recorded()
    state.set_dataset(state_dataset(data))
    notices.clear()
    state.select([3, 1, 3])
    state.select([1, 3])
    assert state.selection.tolist() == [1, 3] and state.current == 1
    assert notices == [(Change.SELECTION,), (Change.CURRENT, 1)]
    state.set_filtered(np.arange(10))  # what set_dataset kept already
    state.set_filtered(np.array([2, 4]))
    assert notices[-1] == (Change.FILTER,) and len(notices) == 3


def state_dataset(data):
    from app.state.samples import SampleSet

    return SampleSet.from_samples(data)
