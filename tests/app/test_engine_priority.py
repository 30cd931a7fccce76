"""The engine's thread runs below the window's priority; the GUI thread and the process keep theirs."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from app.runner import ENGINE_NICE, TrainingRunner, lower_thread_priority
from app.session import Session
from core.config import RunConfig

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="threads have a nice value of their own on Linux")


def nice_of(thread_id: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, thread_id)


def test_a_run_lowers_the_engine_thread_and_nothing_else(qtbot, vector_demo, tmp_path):
    gui, process = nice_of(threading.get_native_id()), nice_of(os.getpid())
    runner = TrainingRunner(Session())
    config = RunConfig()
    config.data.path, config.optim.batch_size, config.optim.epochs = str(vector_demo), 8, 1
    try:
        assert runner.engine_nice == ENGINE_NICE > 0
        with qtbot.waitSignal(runner.finished, timeout=60_000):
            runner.start(config, tmp_path / "run")
        engine = runner.engine_thread_id
        assert engine is not None and engine != threading.get_native_id()
        assert nice_of(engine) == min(19, process + ENGINE_NICE)
        assert (nice_of(threading.get_native_id()), nice_of(os.getpid())) == (gui, process)
    finally:
        assert runner.shutdown(timeout_s=30)


def test_threads_started_by_a_lowered_thread_inherit_its_priority_and_it_never_rises():
    seen: dict[str, int | None] = {}

    def engine_like() -> None:
        seen["first"] = lower_thread_priority(3)
        seen["again"] = lower_thread_priority(1)  # a smaller step never raises it back (no privilege needed)
        child = threading.Thread(target=lambda: seen.update(child=nice_of(threading.get_native_id())))
        child.start()
        child.join()

    gui = nice_of(threading.get_native_id())
    worker = threading.Thread(target=engine_like)
    worker.start()
    worker.join()
    expected = min(19, nice_of(os.getpid()) + 3)
    assert seen == {"first": expected, "again": expected, "child": expected}
    assert nice_of(threading.get_native_id()) == gui
