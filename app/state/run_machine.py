"""What the window is showing (its mode), where its own run is (its phase), and the rules that move them.

Modes: ``empty`` (nothing open), ``dataset`` (samples listed, nothing trained), ``training`` (the
window's own run, going or ended), ``report`` (a report file, read-only) and ``following`` (a report
another process is still writing, refreshed every second). The own run's phase (``idle``,
``starting``, ``running``, ``paused``, ``stopping``, then ``finished``, ``stopped`` or ``failed``) is
the only thing the training controls act on; a report's state never enables them.

No Qt and no I/O here: :class:`app.controller.AppController` owns one :class:`RunMachine`, calls its
moves and announces the changes.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import StrEnum

from core.run_files import ACTIVE, FINAL, RunState


class Mode(StrEnum):
    EMPTY = "empty"
    DATASET = "dataset"
    TRAINING = "training"
    REPORT = "report"
    FOLLOWING = "following"


PHASE_TEXT = {
    RunState.IDLE: "No run",
    RunState.STARTING: "Preparing data…",
    RunState.RUNNING: "Training",
    RunState.PAUSED: "Paused",
    RunState.STOPPING: "Stopping…",
    RunState.STOPPED: "Stopped",
    RunState.FINISHED: "Finished",
    RunState.FAILED: "Failed",
}
ACTIONS = ("open", "start", "resume", "pause", "stop", "export", "value")
RUN = "run"  # the activity of the own run's start (every other kind is a background task's)


@dataclass(frozen=True)
class Activity:
    """Something slow going on, for the status bar: ``total`` 0 means "busy, no count"."""

    text: str
    done: int = 0
    total: int = 0


@dataclass
class RunMachine:
    """The mode, the own run's phase and the slow things going on (by kind; the latest is shown)."""

    mode: Mode = Mode.EMPTY
    phase: RunState = RunState.IDLE
    activities: dict[str, Activity] = field(default_factory=dict)

    @property
    def training(self) -> bool:
        """True from Start (or Resume) until the window's own run has ended."""
        return self.phase in ACTIVE

    @property
    def following(self) -> bool:
        return self.mode == Mode.FOLLOWING

    def can(self, action: str, busy: Collection[str] = (), report_shown: bool = False,
            unvalued: bool = False) -> bool:
        """Whether ``action`` (one of :data:`ACTIONS`) is possible now, with the background tasks of the
        kinds in ``busy`` going on, a report file on show or not, and splits left to value or not."""
        if action == "open":
            return not self.training
        if action in ("start", "resume"):
            return not self.training and not self.following and "checkpoint" not in busy
        if action == "pause":
            return self.phase in (RunState.RUNNING, RunState.PAUSED)
        if action == "stop":
            return self.training and self.phase != RunState.STOPPING
        if action == "export":
            return report_shown
        if action == "value":
            return unvalued and not self.training and not self.following and "value" not in busy
        raise ValueError(f"unknown action {action!r}; expected one of {', '.join(ACTIONS)}")

    def status(self, report_state: str) -> tuple[str, str]:
        """(text, colour key) of the status bar's state label; ``report_state``: the shown report's."""
        if self.mode == Mode.FOLLOWING:
            return "Following live report", "following"
        if self.mode == Mode.REPORT:
            return f"Report ({report_state})", "report"
        if self.mode == Mode.TRAINING:
            return PHASE_TEXT.get(self.phase, self.phase), self.phase
        return PHASE_TEXT[RunState.IDLE], RunState.IDLE

    # -- activities ------------------------------------------------------------------------------
    def activity(self) -> Activity | None:
        """The latest slow thing going on, if any."""
        return next(reversed(self.activities.values()), None)

    def set_activity(self, kind: str, activity: Activity | None) -> None:
        """Say what a kind of work is doing (None: it is done); the newest goes last."""
        self.activities.pop(kind, None)
        if activity is not None:
            self.activities[kind] = activity

    # -- the own run -------------------------------------------------------------------------------
    def launch(self) -> None:
        """Start (or Resume) pressed: the window shows its own run, preparing."""
        self.phase = RunState.STARTING
        self.mode = Mode.TRAINING

    def begin(self) -> bool:
        """Whether the engine is to start now; False when the run was stopped before it began (it then
        ends as stopped) or the launch was cancelled."""
        if self.phase == RunState.STARTING:
            return True
        if self.phase == RunState.STOPPING:
            self.phase = RunState.STOPPED
        return False

    def engine_state(self, state: str) -> bool:
        """The session's run state became ``state``: True when that is the own run going or pausing (its
        phase follows, except that a late "running" never undoes Stop)."""
        if self.mode != Mode.TRAINING or not self.training or state not in (RunState.RUNNING, RunState.PAUSED):
            return False
        if self.phase != RunState.STOPPING:
            self.phase = RunState(state)
        return True

    def stop(self) -> None:
        self.phase = RunState.STOPPING

    def ended(self, run_state: str, failed: bool) -> RunState:
        """The own run has ended: its phase is the state its events gave, else failed or finished."""
        self.phase = RunState(run_state) if run_state in FINAL else RunState.FAILED if failed else RunState.FINISHED
        return self.phase

    def closing(self, engine_busy: bool) -> None:
        """The window closes: a run not begun yet never begins."""
        if self.phase == RunState.STARTING and not engine_busy:
            self.phase = RunState.STOPPING
