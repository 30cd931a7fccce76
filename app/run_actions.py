"""The controller's run actions: start, resume, pause and stop the window's own run, value a split
afterwards, and the re-sampling requests the run takes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QTimer

from app.controller_base import ControllerBase, error_text
from app.preimport import import_in_gui_thread
from app.report_actions import read_report, whole_snapshot
from app.runner import RequestRow, new_run_dir
from app.state.report_loading import read_snapshot
from app.state.run_machine import RUN, Activity
from app.state.snapshot import RunSnapshot
from app.tasks import BackgroundTask, TaskState
from app.valuing import value_split
from core.config import RunConfig
from core.run_files import CHECKPOINTS_DIR, REPORT_NAME, RunState
from core.text import plural
from core.training import UntrustedCheckpointError, load_checkpoint

LAUNCH_DELAY_MS = 30  # lets the window draw "Preparing data…" before the run's imports start


@dataclass(frozen=True)
class _Resume:
    """A checkpoint read for resuming, with the report of its run when the window does not show it yet."""

    checkpoint: Path
    state: dict
    config: RunConfig
    snapshot: RunSnapshot | None
    trusted: bool


class RunActions(ControllerBase):
    """The window's own run (see :class:`app.controller.AppController`)."""

    # -- valuing afterwards ----------------------------------------------------------------------
    def value_split_now(self, split: str | None = None) -> BackgroundTask | None:
        """Value a split the shown run did not value with its last checkpoint, add it to the run's report
        (as ``modalens value --into-report`` does) and show it; None when refused or cancelled."""
        choices = self.unvalued_splits()
        if self.training or self.following or not choices:
            self.prompter.warning(self.dialog_parent, "Value split now",
                                  "Only a finished or stopped run with a split it did not value can be valued now.")
            return None
        split = split or self.prompter.choose(self.dialog_parent, "Value split now", "Split to value:", choices)
        if not split:
            return None
        if split not in choices:
            self.fail("Cannot value split", f"split {split!r} cannot be valued now; choices: {', '.join(choices)}")
            return None
        import_in_gui_thread(models=True)
        session = self.session
        assert session.run_dir is not None and session.dataset is not None  # as unvalued_splits() found
        run_dir, known = Path(session.run_dir), session.known_epochs()
        data_path = session.dataset.root if session.dataset.media_found() else None
        self._set_activity("value", Activity(f"Valuing the {split} split…"))

        def job(state: TaskState) -> RunSnapshot:
            value_split(run_dir, split, state, data_path)
            return read_snapshot(read_report(run_dir / REPORT_NAME), known)

        def progress(done: int, total: int, text: str) -> None:
            self._set_activity("value", Activity(f"Valuing the {split} split: {text}…", done, total))

        return self.tasks.start("value", job, done=lambda snapshot: self._split_valued(split, run_dir, snapshot),
                                failed=self._failed("Cannot value split"), progress=progress)

    def _split_valued(self, split: str, run_dir: Path, snapshot: RunSnapshot) -> None:
        if self.session.run_dir is None or Path(self.session.run_dir) != run_dir:  # something else opened since
            self.session.log_message.emit("info", f"split {split!r} added to {run_dir / REPORT_NAME}")
            return
        self.session.apply_snapshot(snapshot)
        self.session.log_message.emit("info", f"valued split {split!r}; added to {run_dir / REPORT_NAME}")

    # -- training --------------------------------------------------------------------------------
    def start_training(self, config: RunConfig | Callable[[], RunConfig], runs_dir: str = "") -> bool:
        """Start a run (``config`` or a function making it, which may raise ``ValueError``); False (with a
        message) when it cannot start."""
        if not self.can("start"):
            return False
        try:
            config = config() if callable(config) else config
        except ValueError as exc:
            self.fail("Cannot start training", str(exc))
            return False
        runs_dir = runs_dir or str(self.settings.runs_dir)
        try:
            run_dir = new_run_dir(runs_dir, config.strategy.name)
            run_dir.mkdir(parents=True)
        except OSError as exc:
            self.fail("Cannot start training", f"{runs_dir}: cannot create a run folder ({exc})")
            return False
        self.settings.runs_dir = runs_dir
        self._launch(config, run_dir, None, False)
        return True

    def resume_training(self, checkpoint: str | Path | None = None, epochs: int | None = None,
                        default_epochs: int = 0, device: str = "") -> bool:
        """Continue a run from a checkpoint, to ``epochs`` epochs in all (default: the run's own target; for a
        run that reached it, ``default_epochs`` or one more epoch), on ``device`` (default: the checkpoint's).

        The checkpoint is read in the background; one in the old format is read only after the user says
        they trust it. False when refused or cancelled."""
        if not self.can("resume"):
            return False
        if checkpoint is None:
            start = self.session.last_checkpoint or (self.session.run_dir / CHECKPOINTS_DIR if self.session.run_dir else "")
            checkpoint = self.prompter.open_file(self.dialog_parent, "Resume from checkpoint",
                                                 str(start or self.settings.last_folder), "Checkpoints (*.pt);;All files (*)")
            if not checkpoint:
                return False
        self._opened += 1
        self._read_checkpoint(Path(checkpoint), epochs, default_epochs, device, trusted=False)
        return True

    def _read_checkpoint(self, checkpoint: Path, epochs: int | None, default_epochs: int, device: str,
                         trusted: bool) -> None:
        run_dir = checkpoint.resolve().parent.parent
        shown = self.session.run_dir is not None and self.session.run_dir.resolve() == run_dir
        self._set_activity("checkpoint", Activity(f"Reading {checkpoint.name}…"))

        def job(state: TaskState) -> _Resume:
            loaded = load_checkpoint(checkpoint, trusted=trusted)
            config = RunConfig.from_toml(loaded["config_toml"], f"{checkpoint} (config)")
            report = run_dir / REPORT_NAME
            snapshot = None if shown or not report.is_file() else whole_snapshot(read_report(report))
            return _Resume(checkpoint, loaded, config, snapshot, trusted)

        def failed(exc: BaseException) -> None:
            if isinstance(exc, UntrustedCheckpointError) and not trusted:
                if self.prompter.question(
                    self.dialog_parent,
                    "Trust this checkpoint?",
                    f"{checkpoint} is in the older ModaLens 0.1 format. Reading it can run any code the file "
                    "holds. Read it only if you made it yourself or trust whoever did.",
                ):
                    self._read_checkpoint(checkpoint, epochs, default_epochs, device, trusted=True)
                else:
                    self.session.log_message.emit("info", f"{checkpoint}: not read (not trusted)")
                return
            self.fail("Cannot resume", error_text(exc))

        self.tasks.start("checkpoint", job, done=lambda r: self._checkpoint_read(r, epochs, default_epochs, device),
                         failed=failed)

    def _checkpoint_read(self, resume: _Resume, epochs: int | None, default_epochs: int, device: str) -> None:
        if self.training or self.following:  # something else started while the checkpoint was read
            self.session.log_message.emit("warning", f"{resume.checkpoint}: not resumed ({self.status()[0]})")
            return
        config, checkpoint = resume.config, resume.checkpoint
        next_epoch = int(resume.state.get("next_epoch", 0))
        if epochs is not None:
            config.optim.epochs = epochs
        elif config.optim.epochs <= next_epoch:  # the run reached its target: train on past it
            config.optim.epochs = max(default_epochs, next_epoch + 1)
        if config.optim.epochs <= next_epoch:
            self.fail("Cannot resume", f"{checkpoint} has already trained {plural(next_epoch, 'epoch')}; "
                      f"ask for more than {next_epoch}")
            return
        if device:
            config.runtime.device = device
        if resume.snapshot is not None:
            self.stop_following()
            self.session.apply_snapshot(resume.snapshot)
        self.config_shown.emit(config)
        self._launch(config, checkpoint.resolve().parent.parent, checkpoint, resume.trusted)

    def _launch(self, config: RunConfig, run_dir: Path, resume_from: Path | None, trusted: bool) -> None:
        """Show "Preparing data…" at once, then start the engine once the window has drawn it."""
        self.stop_following()
        self._opened += 1
        self._set_activity(RUN, Activity("Preparing data…"))
        self.machine.launch()
        self.changed.emit()
        QTimer.singleShot(LAUNCH_DELAY_MS, lambda: self._start_engine(config, run_dir, resume_from, trusted))

    def _start_engine(self, config: RunConfig, run_dir: Path, resume_from: Path | None, trusted: bool) -> None:
        if not self.machine.begin():  # stopped (or the window closed) before the run began
            self._set_activity(RUN, None)
            self.changed.emit()
            return
        try:
            self.runner.start(config, run_dir, resume_from, trust_checkpoints=trusted)
        except Exception as exc:  # noqa: BLE001 - shown to the user; the window stays usable
            self._set_activity(RUN, None)
            self._set_phase(RunState.FAILED)
            self.fail("Cannot start training", error_text(exc))
            return
        self.session.log_message.emit("info", f"{'resuming' if resume_from else 'starting'} run in {run_dir}")

    def _log_during_start(self, level: str, text: str) -> None:
        if self.phase == RunState.STARTING and RUN in self.machine.activities and level != "debug":
            self._set_activity(RUN, Activity(f"Preparing data… {text.splitlines()[0]}"))

    def _run_state_changed(self, state: str) -> None:
        """The own run's events move its phase (a report's state never does)."""
        if self.machine.engine_state(state):
            self._set_activity(RUN, None)
            self.changed.emit()

    def toggle_pause(self) -> None:
        if not self.can("pause") or self.runner.engine is None:
            return
        if self.runner.engine.paused:
            self.runner.resume()
        else:
            self.runner.pause()
            self.notice.emit("Pausing at the next step…", 3000)

    def stop_training(self) -> None:
        """Ask the run to stop at the next step; it saves a checkpoint and its report, then ends."""
        if not self.can("stop"):
            return
        self.machine.stop()
        self.changed.emit()
        self.runner.stop(wait=False)

    def _run_ended(self, outcome) -> None:
        state = self.machine.ended(self.session.run_state, outcome.failed)
        self._set_activity(RUN, None)
        self.changed.emit()
        level = "error" if outcome.failed else "info"
        self.session.log_message.emit(level, f"run {state} after {plural(outcome.epochs_done, 'epoch')}: {outcome.run_dir}")
        result = self.session.best_epoch()
        if result is not None:
            self.session.log_message.emit("info", result.text())
            self.notice.emit(result.text(), 15_000)
        self.run_ended.emit(outcome)
        if outcome.failed:
            self.fail("Training failed", self.session.last_error or "the run failed; see the Log pane")

    # -- re-sampling requests --------------------------------------------------------------------
    def add_request(self, samples: np.ndarray, modality: str, copies: int, epochs: int | None) -> int:
        """Re-sample ``modality`` of ``samples`` from the next epoch (of this run, or of the next run)."""
        return self.runner.add_request(samples, modality, copies, epochs)

    def cancel_request(self, request_id: int) -> None:
        self.runner.cancel_request(request_id)

    def request_rows(self) -> list[RequestRow]:
        return self.runner.request_rows()
