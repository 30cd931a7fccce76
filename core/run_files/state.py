"""How a run stands: the states a report records, a grid's outcome reports and the window shows, one
spelling each.

Values are plain strings (a :class:`~enum.StrEnum`), so reports and ``outcome.json`` files keep the text
they always held and a state read back from a file compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    """Where a run is. Engine events and reports give ``running``, ``paused`` and the three final
    states; the window's own run also passes through ``starting`` (Start pressed, engine not begun) and
    ``stopping`` (Stop pressed, run not ended); ``idle`` is no run; a grid reports ``skipped``."""

    IDLE = "idle"
    STARTING = "starting"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"
    FINISHED = "finished"
    """Trained every epoch."""
    STOPPED = "stopped"
    """Asked to stop; continues from its last checkpoint."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """A grid's run that had finished before, so it was not trained again."""


ACTIVE = frozenset({RunState.STARTING, RunState.RUNNING, RunState.PAUSED, RunState.STOPPING})
"""The window's own run's states from Start until it has ended."""
FINAL = frozenset({RunState.FINISHED, RunState.STOPPED, RunState.FAILED})
"""The states of a run that has ended."""


def ended_state(stopped: bool, failed: bool = False) -> RunState:
    """The state a run ends in: failed over stopped over finished."""
    return RunState.FAILED if failed else RunState.STOPPED if stopped else RunState.FINISHED
