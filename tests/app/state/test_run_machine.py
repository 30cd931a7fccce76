"""RunMachine without Qt: the window's mode and its own run's phase, moved by the controller's calls."""

from __future__ import annotations

import pytest

from app.state.run_machine import Activity, Mode, RunMachine
from core.run_files.state import RunState


def test_a_run_goes_from_start_to_its_end():
    machine = RunMachine()
    assert not machine.training and machine.can("start") and not machine.can("stop")
    machine.launch()
    assert (machine.mode, machine.phase) == (Mode.TRAINING, RunState.STARTING) and machine.training
    assert machine.status("idle") == ("Preparing data…", "starting")
    assert machine.begin()
    assert not machine.engine_state("finished"), "only going or pausing moves the phase"
    assert machine.engine_state("running") and machine.phase == RunState.RUNNING
    assert machine.can("pause") and machine.can("stop") and not machine.can("open") and not machine.can("start")
    assert machine.engine_state("paused") and machine.phase == RunState.PAUSED
    assert machine.ended("finished", failed=False) == RunState.FINISHED and not machine.training


def test_stop_is_never_undone_and_ends_a_run_not_begun_as_stopped():
    machine = RunMachine()
    machine.launch()
    machine.stop()
    assert not machine.can("stop")
    assert machine.engine_state("running") and machine.phase == RunState.STOPPING  # a late "running"
    assert not machine.begin() and machine.phase == RunState.STOPPED


def test_the_end_state_comes_from_the_events_else_from_the_outcome():
    machine = RunMachine(Mode.TRAINING, RunState.RUNNING)
    assert machine.ended("stopped", failed=False) == RunState.STOPPED
    machine = RunMachine(Mode.TRAINING, RunState.RUNNING)
    assert machine.ended("running", failed=True) == RunState.FAILED
    machine = RunMachine(Mode.TRAINING, RunState.RUNNING)
    assert machine.ended("running", failed=False) == RunState.FINISHED


def test_a_report_state_never_moves_the_phase():
    machine = RunMachine(Mode.REPORT)
    assert not machine.engine_state("running") and machine.phase == RunState.IDLE
    assert machine.status("finished") == ("Report (finished)", "report")
    assert not machine.can("pause") and machine.can("open")


def test_what_can_be_done_depends_on_tasks_report_and_splits():
    machine = RunMachine(Mode.FOLLOWING)
    assert not machine.can("start") and not machine.can("value", unvalued=True)
    machine = RunMachine(Mode.REPORT, RunState.FINISHED)
    assert machine.can("value", unvalued=True) and not machine.can("value", ["value"], unvalued=True)
    assert not machine.can("resume", ["checkpoint"]) and machine.can("resume")
    assert machine.can("export", report_shown=True) and not machine.can("export")
    with pytest.raises(ValueError, match="unknown action 'fly'"):
        machine.can("fly")


def test_the_latest_activity_is_shown_and_closing_cancels_a_start():
    machine = RunMachine()
    machine.set_activity("open", Activity("Reading a"))
    machine.set_activity("demo", Activity("demo 1/4", 1, 4))
    assert machine.activity() == Activity("demo 1/4", 1, 4)
    machine.set_activity("demo", None)
    assert machine.activity().text == "Reading a"
    machine.launch()
    machine.closing(engine_busy=False)
    assert machine.phase == RunState.STOPPING
