"""How a run stands: the states a report records and a grid's outcome reports, one spelling each.

Values are plain strings (a :class:`~enum.StrEnum`), so reports and ``outcome.json`` files keep the text
they always held and a state read back from a file compares equal to its member.
"""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    RUNNING = "running"
    FINISHED = "finished"
    """Trained every epoch."""
    STOPPED = "stopped"
    """Asked to stop; continues from its last checkpoint."""
    FAILED = "failed"
    SKIPPED = "skipped"
    """A grid's run that had finished before, so it was not trained again."""



def ended_state(stopped: bool, failed: bool) -> RunState:
    """The state a run ends in: failed over stopped over finished."""
    return RunState.FAILED if failed else RunState.STOPPED if stopped else RunState.FINISHED
