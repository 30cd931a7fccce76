"""The state of a run, as its engine events and its report say it, and as the window's own run goes."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """Where a run is. Events and reports give ``running``, ``paused`` and the three final states; the
    window's own run also passes through ``starting`` (Start pressed, engine not begun) and ``stopping``
    (Stop pressed, run not ended); ``idle`` is no run."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    FINISHED = "finished"
    STOPPED = "stopped"
    FAILED = "failed"

    @classmethod
    def ended(cls, stopped: bool) -> RunState:
        """The state of a run that ended without failing."""
        return cls.STOPPED if stopped else cls.FINISHED


ACTIVE = frozenset({RunState.STARTING, RunState.RUNNING, RunState.PAUSED, RunState.STOPPING})
"""The own run's states from Start until it has ended."""
FINAL = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.FAILED})
"""The states of a run that has ended."""
