"""The controller's core, which its action modules share: its parts, what is possible now, the errors.

:class:`app.controller.AppController` is :class:`ControllerBase` plus one module per kind of action
(:mod:`app.dataset_actions`, :mod:`app.report_actions`, :mod:`app.run_actions`). This base declares the
attributes and signals the controller sets, and holds what every action uses: the mode and phase (a
Qt-free :class:`app.state.run_machine.RunMachine`), which actions are possible, the activities shown
in the status bar, the end of a live follow, and the one way errors reach the user.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from app.state.run_machine import Activity, Mode, RunMachine
from core.config import ConfigError
from core.data import ManifestError
from core.report import ReportError
from core.run_files import RunState
from core.training import CheckpointError

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, SignalInstance
    from PySide6.QtWidgets import QWidget

    from app.prompts import Prompter
    from app.runner import TrainingRunner
    from app.session import Session
    from app.settings import AppSettings
    from app.tasks import TaskSlots
    from core.report import Report

LOADING_KINDS = ("open", "checkpoint")  # background tasks that read what the window is to show
_KNOWN_ERRORS = (ManifestError, ReportError, CheckpointError, ConfigError, ValueError, OSError, KeyError)


def error_text(exc: BaseException) -> str:
    """A one-line message for an error that came back from a background task."""
    if isinstance(exc, _KNOWN_ERRORS):
        return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return f"{type(exc).__name__}: {exc}"


class ControllerBase:
    """The controller's parts and shared rules (the controller sets every attribute declared here)."""

    session: Session
    settings: AppSettings
    prompter: Prompter
    dialog_parent: QWidget | None
    machine: RunMachine
    tasks: TaskSlots
    runner: TrainingRunner
    live: Report | None  # the followed report
    timer: QTimer  # refreshes the followed report
    _opened: int  # counts what the user opened or started (a late demo must not replace it)
    _closing: bool
    changed: SignalInstance
    activity_changed: SignalInstance
    dataset_opened: SignalInstance
    config_shown: SignalInstance
    comparison_read: SignalInstance
    demo_creating: SignalInstance
    notice: SignalInstance
    run_ended: SignalInstance
    runs_compared: SignalInstance
    experiment_read: SignalInstance

    # -- state -----------------------------------------------------------------------------------
    @property
    def mode(self) -> Mode:
        return self.machine.mode

    @property
    def phase(self) -> RunState:
        return self.machine.phase

    @property
    def training(self) -> bool:
        """True from Start (or Resume) until the window's own run has ended."""
        return self.machine.training

    @property
    def loading(self) -> bool:
        """True while a dataset, report or checkpoint is being read."""
        return self.tasks.active(*LOADING_KINDS)

    @property
    def following(self) -> bool:
        return self.machine.following

    def can(self, action: str) -> bool:
        """Whether ``action`` (open, start, resume, pause, stop, export, value) is possible now."""
        busy = [kind for kind in ("checkpoint", "value") if self.tasks.active(kind)]
        unvalued = action == "value" and bool(self.unvalued_splits())  # reads a column: only when asked
        return self.machine.can(action, busy, report_shown=self.session.report_path is not None, unvalued=unvalued)

    def status(self) -> tuple[str, str]:
        """(text, colour key) of the status bar's state label."""
        return self.machine.status(self.session.run_state)

    def unvalued_splits(self) -> list[str]:
        """The splits of the shown finished (or stopped) run that it did not value and that have samples."""
        return self.session.unvalued_splits()

    def activity(self) -> Activity | None:
        """The latest slow thing going on, if any."""
        return self.machine.activity()

    def _set_mode(self, mode: Mode) -> None:
        self.machine.mode = mode
        self.changed.emit()

    def _set_phase(self, phase: RunState) -> None:
        self.machine.phase = phase
        self.changed.emit()

    def _set_activity(self, kind: str, activity: Activity | None) -> None:
        self.machine.set_activity(kind, activity)
        self.activity_changed.emit(self.machine.activity())

    def stop_following(self) -> None:
        """Stop refreshing the live report (it stays on show, as a report)."""
        self.timer.stop()
        self.tasks.cancel("poll")
        self.live = None
        if self.mode == Mode.FOLLOWING:
            self._set_mode(Mode.REPORT)

    # -- errors ----------------------------------------------------------------------------------
    def fail(self, title: str, text: str) -> None:
        """The one way errors reach the user: a line in the Log pane and a dialog."""
        self.session.log_message.emit("error", f"{title}: {text}")
        if not self._closing:
            self.prompter.error(self.dialog_parent, title, text)

    def _failed(self, title: str) -> Callable[[BaseException], None]:
        return lambda exc: self.fail(title, error_text(exc))

    def _refuse_while_training(self, what: str) -> bool:
        if self.training:
            self.prompter.warning(self.dialog_parent, "Training is running", f"Stop the run before you {what}.")
            return True
        return False
