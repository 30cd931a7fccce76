"""The app controller: what the window is showing (its mode) and every action the user can take.

:class:`AppController` is a QObject with no widgets. It owns the training runner, the background
tasks and the followed live report, and decides which actions are possible; views talk to it and to
the session, and the window only lays them out and builds the menus from it. Slow work (scanning a
manifest, reading a report or a checkpoint, refreshing a live report, exporting, making the demo data,
importing a dataset, valuing a split afterwards) runs in background tasks (:mod:`app.tasks`); a new
task of a kind cancels the one before it, so the GUI thread never waits on the disk or on
``torch.load``. Every error reaches the user the same way: :meth:`AppController.fail` logs it and
shows it in a dialog.

The controller is assembled from parts: the mode and the own run's phase are a Qt-free
:class:`app.state.run_machine.RunMachine` (its docstring lists them), the shared rules are
:class:`app.controller_base.ControllerBase`, and the actions live in :mod:`app.dataset_actions`,
:mod:`app.report_actions` and :mod:`app.run_actions`. This module adds the signals and the wiring.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.dataset_actions import DatasetActions
from app.prompts import Prompter
from app.report_actions import FOLLOW_INTERVAL_MS, ReportActions
from app.run_actions import RunActions
from app.runner import TrainingRunner
from app.session import Session
from app.settings import AppSettings
from app.state.run_machine import RUN, Mode, RunMachine
from app.tasks import TaskSlots
from core.report import Report

__all__ = ["AppController", "Mode"]  # Mode: for the window and the tests


class AppController(QObject, DatasetActions, ReportActions, RunActions):
    """State and actions of the window (see the module docstring); ``dialog_parent`` parents dialogs."""

    changed = Signal()  # mode, run phase, or which actions are possible
    activity_changed = Signal(object)  # Activity | None
    dataset_opened = Signal(object)  # core.data.manifest.Manifest
    config_shown = Signal(object)  # RunConfig of the report or run now shown
    comparison_read = Signal(object)  # app.state.curves.CurveRun of a report to overlay on the curves
    demo_creating = Signal(str)  # folder
    notice = Signal(str, int)  # a passing status-bar message, ms
    run_ended = Signal(object)  # RunOutcome
    requests_changed = Signal()
    runs_compared = Signal(object)  # app.views.compare.ComparedRuns
    experiment_read = Signal(object)  # app.views.experiment_table.ExperimentRuns

    def __init__(self, session: Session, settings: AppSettings, prompter: Prompter,
                 parent: QObject | None = None) -> None:
        QObject.__init__(self, parent)
        self.session = session
        self.settings = settings
        self.prompter = prompter
        self.dialog_parent: QWidget | None = None
        self.machine = RunMachine()
        self.tasks = TaskSlots(self)
        self.runner = TrainingRunner(session, self)
        self.live: Report | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(FOLLOW_INTERVAL_MS)
        self.timer.timeout.connect(self.poll)
        self._opened = 0
        self._closing = False
        self.tasks.changed.connect(self._tasks_changed)
        self.runner.finished.connect(self._run_ended)
        self.runner.requests_changed.connect(self.requests_changed)
        session.run_state_changed.connect(self._run_state_changed)
        session.log_message.connect(self._log_during_start)

    def _tasks_changed(self) -> None:
        for kind in [k for k in self.machine.activities if k != RUN and not self.tasks.active(k)]:
            self._set_activity(kind, None)
        self.changed.emit()

    def shutdown(self) -> None:
        """Stop the run (it saves), the live follow and every background task; returns when all ended."""
        self._closing = True
        self.stop_following()
        self.machine.closing(self.runner.busy)
        self.runner.shutdown()
        self.tasks.wait_all()
