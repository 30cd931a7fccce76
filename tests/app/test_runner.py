"""The event bridge and the training runner: events cross threads in order; runs pause, stop and save."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.bridge import EventBridge
from app.runner import TrainingRunner, new_run_dir
from app.session import Session
from app.state.samples import SampleSet
from core import events as ev
from core.config import RunConfig
from core.data.manifest import load_manifest
from core.report.reader import open_report


def progress(done: int) -> ev.Progress:
    return ev.Progress(0, done, done, 100, float(done), None)


def test_bridge_delivers_in_order_and_keeps_the_last_of_a_progress_burst(qtbot):
    delivered = []
    bridge = EventBridge(delivered.append)
    sent = [progress(1), progress(2), ev.LogMessage("info", "a"), progress(3), progress(4), progress(5),
            ev.LogMessage("info", "b")]

    def engine_thread() -> None:
        for event in sent:
            bridge(event)

    worker = threading.Thread(target=engine_thread)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(delivered) >= 4, timeout=30_000)
    assert delivered == [sent[1], sent[2], sent[5], sent[6]]


def test_bridge_never_drops_events_of_a_long_run(qtbot):
    delivered = []
    bridge = EventBridge(delivered.append)
    messages = [ev.LogMessage("info", str(i)) for i in range(5000)]
    worker = threading.Thread(target=lambda: [bridge(m) for m in messages])
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: len(delivered) == len(messages), timeout=30_000)
    assert delivered == messages


def vector_config(data, epochs: int) -> RunConfig:
    config = RunConfig()
    config.data.path = str(data)
    config.optim.batch_size = 4
    config.optim.epochs = epochs
    return config


@pytest.fixture
def runner(qtbot):
    session = Session()
    runner = TrainingRunner(session)
    yield runner
    assert runner.shutdown(timeout_s=30)
    assert runner.worker_thread.isFinished()


def test_pause_resume_and_stop_save_the_run(qtbot, runner, vector_demo, tmp_path):
    session = runner.session
    states = []
    session.run_state_changed.connect(states.append)
    with qtbot.waitSignal(session.run_state_changed, timeout=30_000, check_params_cb=lambda s: s == "running"):
        engine = runner.start(vector_config(vector_demo, 50), tmp_path / "run")
    assert runner.busy and engine is runner.engine
    assert runner.worker_thread.isRunning() and runner.worker_thread is not threading.current_thread()
    with qtbot.waitSignal(session.run_state_changed, timeout=10_000, check_params_cb=lambda s: s == "paused"):
        runner.pause()
    was_paused = engine.paused
    with qtbot.waitSignal(session.run_state_changed, timeout=10_000, check_params_cb=lambda s: s == "running"):
        runner.resume()
    assert was_paused
    assert runner.stop(wait=True, timeout_s=30)
    assert not runner.busy
    qtbot.waitUntil(lambda: session.run_state == "stopped", timeout=30_000)
    assert states[:3] == ["running", "paused", "running"]
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
    with open_report(tmp_path / "run" / "report.h5") as report:
        assert report.state == "stopped"
    assert runner.worker_thread.isRunning(), "the worker thread is long-lived: it waits for the next run"


def test_requests_made_between_runs_reach_the_next_run(qtbot, runner, vector_demo, tmp_path):
    runner.session.show_dataset(SampleSet.from_samples(load_manifest(vector_demo)))
    train = np.flatnonzero(runner.session.dataset.splits == "train")[:5]
    kept = runner.add_request(train, "x1", copies=3, epochs=1)
    dropped = runner.add_request(train[:2], "x2")
    assert kept < 0 and dropped < 0
    with pytest.raises(ValueError, match="unknown modality 'x3'"):
        runner.add_request(train, "x3")
    with pytest.raises(ValueError, match="copies"):
        runner.add_request(train, "x1", copies=0)
    runner.cancel_request(dropped)
    with pytest.raises(KeyError):
        runner.cancel_request(dropped)
    assert [(r.status, r.samples) for r in runner.request_rows()] == [("pending", 5)]

    with qtbot.waitSignal(runner.finished, timeout=60_000):
        runner.start(vector_config(vector_demo, 1), tmp_path / "run")
    rows = runner.request_rows()
    assert [(r.id, r.modality, r.copies, r.start_epoch, r.status) for r in rows] == [(1, "x1", 3, 0, "done")]
    np.testing.assert_array_equal(np.flatnonzero(runner.session.user_copies), train)
    with open_report(tmp_path / "run" / "report.h5") as report:
        table = report.resampling
        np.testing.assert_array_equal(np.sort(table.sample_index[table.user_requested]), train)


def test_new_run_dirs_never_collide(tmp_path):
    first = new_run_dir(tmp_path, "joint")
    first.mkdir()
    second = new_run_dir(tmp_path, "joint")
    assert second != first and second.name.startswith(first.name)
    assert first.name.endswith("-joint")
