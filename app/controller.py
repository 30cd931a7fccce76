"""The app controller: what the window is showing (its mode) and every action the user can take.

:class:`AppController` is a QObject with no widgets. It owns the training runner, the background
tasks and the followed live report, and decides which actions are possible; views talk to it and to
the session, and the window only lays them out and builds the menus from it. Slow work (scanning a
manifest, reading a report or a checkpoint, refreshing a live report, exporting, making the demo data,
importing a dataset, valuing a split afterwards)
runs in background tasks (:mod:`app.tasks`); a new task of a kind cancels the one before it, so the
GUI thread never waits on the disk or on ``torch.load``. Every error reaches the user the same way:
:meth:`AppController.fail` logs it and shows it in a dialog.

Modes: ``empty`` (nothing open), ``dataset`` (samples listed, nothing trained), ``training`` (the
window's own run, going or ended), ``report`` (a report file, read-only) and ``following`` (a report
another process is still writing, refreshed every second). The own run's phase (``idle``,
``starting``, ``running``, ``paused``, ``stopping``, then ``finished``, ``stopped`` or ``failed``) is
the only thing the training controls act on; a report's state never enables them.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.import_dialog import ImportChoice
from app.prompts import Prompter
from app.report_loading import RunSnapshot, read_snapshot
from app.runner import LAZY_RUN_IMPORTS, RequestRow, TrainingRunner, new_run_dir
from app.session import DatasetView, Session
from app.settings import AppSettings
from app.state.curves import CurveRun, comparison_name
from app.tasks import BackgroundTask, TaskSlots, TaskState
from app.valuing import IMPORTS as VALUING_IMPORTS
from app.valuing import value_split
from core.config import ConfigError, RunConfig
from core.data.manifest import ManifestError, load_manifest
from core.data.prepare import format_exclusions
from core.report.errors import ReportError
from core.report.export import export_report
from core.report.reader import Report, open_report
from core.report.summary import ALL_SPLITS, write_phi_csv
from core.text import plural
from core.training.checkpoint import CheckpointError, UntrustedCheckpointError, load_checkpoint


class Mode(StrEnum):
    EMPTY = "empty"
    DATASET = "dataset"
    TRAINING = "training"
    REPORT = "report"
    FOLLOWING = "following"


ACTIVE_PHASES = ("starting", "running", "paused", "stopping")
FINAL_STATES = ("finished", "stopped", "failed")
PHASE_TEXT = {
    "idle": "No run",
    "starting": "Preparing data…",
    "running": "Training",
    "paused": "Paused",
    "stopping": "Stopping…",
    "stopped": "Stopped",
    "finished": "Finished",
    "failed": "Failed",
}
FOLLOW_INTERVAL_MS = 1000
LAUNCH_DELAY_MS = 30  # lets the window draw "Preparing data…" before the run's imports start
REPORT_FILTER = "ModaLens reports (*.h5);;All files (*)"
EXPORT_FILTER = "ModaLens reports (*.h5);;Per-sample values (*.csv);;All files (*)"
LOADING_KINDS = ("open", "checkpoint")
LAST_RUN_SCAN = 50  # newest run folders whose config is read to find a run on the opened dataset
# h5py raises RuntimeError for some damaged files (a bad superblock) that the reader does not translate
_READ_ERRORS = (ReportError, OSError, KeyError, ValueError, RuntimeError)
_KNOWN_ERRORS = (ManifestError, ReportError, CheckpointError, ConfigError, ValueError, OSError, KeyError)


@dataclass(frozen=True)
class Activity:
    """Something slow going on, for the status bar: ``total`` 0 means "busy, no count"."""

    text: str
    done: int = 0
    total: int = 0


@dataclass(frozen=True)
class _Resume:
    """A checkpoint read for resuming, with the report of its run when the window does not show it yet."""

    checkpoint: Path
    state: dict
    config: RunConfig
    snapshot: RunSnapshot | None
    trusted: bool


def error_text(exc: BaseException) -> str:
    """A one-line message for an error that came back from a background task."""
    if isinstance(exc, _KNOWN_ERRORS):
        return str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return f"{type(exc).__name__}: {exc}"


class AppController(QObject):
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
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.prompter = prompter
        self.dialog_parent: QWidget | None = None
        self.mode = Mode.EMPTY
        self.phase = "idle"
        self.tasks = TaskSlots(self)
        self.runner = TrainingRunner(session, self)
        self.live: Report | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(FOLLOW_INTERVAL_MS)
        self.timer.timeout.connect(self.poll)
        self._activities: dict[str, Activity] = {}
        self._opened = 0  # counts what the user opened or started (a late demo must not replace it)
        self._closing = False
        self.tasks.changed.connect(self._tasks_changed)
        self.runner.finished.connect(self._run_ended)
        self.runner.requests_changed.connect(self.requests_changed)
        session.run_state_changed.connect(self._run_state_changed)
        session.log_message.connect(self._log_during_start)

    # -- state -----------------------------------------------------------------------------------
    @property
    def training(self) -> bool:
        """True from Start (or Resume) until the window's own run has ended."""
        return self.phase in ACTIVE_PHASES

    @property
    def loading(self) -> bool:
        """True while a dataset, report or checkpoint is being read."""
        return self.tasks.active(*LOADING_KINDS)

    @property
    def following(self) -> bool:
        return self.mode == Mode.FOLLOWING

    def can(self, action: str) -> bool:
        """Whether ``action`` (open, start, resume, pause, stop, export) is possible now."""
        if action == "open":
            return not self.training
        if action in ("start", "resume"):
            return not self.training and not self.following and not self.tasks.active("checkpoint")
        if action == "pause":
            return self.phase in ("running", "paused")
        if action == "stop":
            return self.training and self.phase != "stopping"
        if action == "export":
            return self.session.report_path is not None
        if action == "value":
            return bool(self.unvalued_splits()) and not self.training and not self.following and \
                not self.tasks.active("value")
        raise ValueError(f"unknown action {action!r}")

    def status(self) -> tuple[str, str]:
        """(text, colour key) of the status bar's state label."""
        if self.mode == Mode.FOLLOWING:
            return "Following live report", "following"
        if self.mode == Mode.REPORT:
            return f"Report ({self.session.run_state})", "report"
        if self.mode == Mode.TRAINING:
            return PHASE_TEXT.get(self.phase, self.phase), self.phase
        return PHASE_TEXT["idle"], "idle"

    def activity(self) -> Activity | None:
        """The latest slow thing going on, if any."""
        return next(reversed(self._activities.values()), None)

    def _set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.changed.emit()

    def _set_phase(self, phase: str) -> None:
        self.phase = phase
        self.changed.emit()

    def _set_activity(self, kind: str, activity: Activity | None) -> None:
        self._activities.pop(kind, None)
        if activity is not None:
            self._activities[kind] = activity
        self.activity_changed.emit(self.activity())

    def _tasks_changed(self) -> None:
        for kind in [k for k in self._activities if k != "run" and not self.tasks.active(k)]:
            self._set_activity(kind, None)
        self.changed.emit()

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

    # -- datasets --------------------------------------------------------------------------------
    def open_dataset(self, path: str | Path | None = None) -> bool:
        """List a dataset folder's samples (read in the background, no decoding); False when refused or
        cancelled. A folder that cannot be read gives a message."""
        if self._refuse_while_training("open a dataset"):
            return False
        path = path or self.prompter.choose_folder(self.dialog_parent, "Open a dataset folder (holding manifest.csv)",
                                                   self.settings.last_folder)
        if not path:
            return False
        folder = Path(path)
        self._opened += 1
        self._set_activity("open", Activity(f"Reading {folder.name or folder}/manifest.csv…"))
        self.tasks.start("open", lambda state: load_manifest(folder), done=lambda m: self._dataset_read(folder, m),
                         failed=self._failed("Cannot open dataset"))
        return True

    def _dataset_read(self, folder: Path, manifest) -> None:
        if self.training:  # Start was pressed while the folder was read
            self.session.log_message.emit("warning", f"{folder}: not shown (a run has started)")
            return
        self.stop_following()
        self.session.show_dataset(DatasetView.from_samples(manifest))
        self.settings.add_recent("dataset", folder)
        self.settings.last_folder = folder.parent
        if manifest.excluded:
            self.session.log_message.emit("warning", f"{folder}/manifest.csv: {format_exclusions(manifest.excluded)}")
        self.session.log_message.emit("info", f"opened dataset {folder}: {len(manifest)} samples")
        self._set_mode(Mode.DATASET)
        self.dataset_opened.emit(manifest)

    def last_run(self, dataset: Path | None = None) -> Path | None:
        """The report of the newest run in the runs folder, preferring runs on ``dataset``; None when none
        (a first launch). Reads only folder entries and small config files."""
        try:
            folders = [p for p in Path(self.settings.runs_dir).iterdir() if (p / "report.h5").is_file()]
        except OSError:
            return None
        folders.sort(key=_report_time, reverse=True)
        for folder in folders[:LAST_RUN_SCAN] if dataset is not None else ():
            if _run_data(folder) == dataset.resolve():
                return folder / "report.h5"
        return folders[0] / "report.h5" if folders else None

    def open_demo(self, preset: str = "", samples: int | None = None) -> BackgroundTask:
        """Create the demo data of ``preset`` (default: the first-launch demo) with ``samples`` samples
        (default: the preset's own count) if it is missing (in the background), then open it unless the
        user has opened something else meanwhile."""
        from core.demo import FIRST_LAUNCH_PRESET, default_demo_dir, ensure_demo

        preset = preset or FIRST_LAUNCH_PRESET
        folder = default_demo_dir(preset)
        if not (folder / "manifest.csv").is_file():
            self.demo_creating.emit(str(folder))
            self._set_activity("demo", Activity("Creating the demo data…"))
        opened = self._opened

        def job(state: TaskState) -> Path:
            return ensure_demo(folder, preset=preset, samples=samples, progress=state.progress)

        def progress(done: int, total: int, _text: str) -> None:
            self._set_activity("demo", Activity(f"demo data {done}/{total}", done, total))

        return self.tasks.start("demo", job, done=lambda path: self._demo_ready(path, opened),
                                failed=self._failed("Cannot create the demo data"), progress=progress)

    def _demo_ready(self, path: Path, opened: int) -> None:
        if opened == self._opened and not self.training:
            self.open_dataset(path)
        else:
            self.notice.emit(f"Demo data ready in {path} (File → Open dataset)", 10_000)

    # -- reports ---------------------------------------------------------------------------------
    def open_report(self, path: str | Path | None = None) -> bool:
        """Show a report (read in the background); one whose run is still writing it is followed.
        False when refused or cancelled; a file that cannot be read gives a message."""
        return self._open_report(path, "Open report")

    def follow_report(self, path: str | Path | None = None) -> bool:
        """Show a report that another process is still writing and keep it up to date."""
        return self._open_report(path, "Follow a live report")

    def _open_report(self, path: str | Path | None, caption: str) -> bool:
        if self._refuse_while_training("open a report"):
            return False
        path = path or self.prompter.open_file(self.dialog_parent, caption, self.settings.last_folder, REPORT_FILTER)
        if not path:
            return False
        file = Path(path)
        self._opened += 1
        self.stop_following()
        self._set_activity("open", Activity(f"Reading {file.name}…"))

        def job(state: TaskState) -> tuple[Report, RunSnapshot]:
            report = _read_report(file)
            state.check()
            return report, _snapshot(report)

        self.tasks.start("open", job, done=lambda result: self._report_read(file, *result),
                         failed=self._failed("Cannot open report"))
        return True

    def _report_read(self, path: Path, report: Report, snapshot: RunSnapshot) -> None:
        if self.training:  # Start was pressed while the file was read
            self.session.log_message.emit("warning", f"{path}: not shown (a run has started)")
            return
        self.stop_following()
        self.session.apply_snapshot(snapshot)
        self.settings.add_recent("report", path)
        self.settings.last_folder = path.parent
        self.session.log_message.emit("info", f"opened report {path}")
        try:
            self.config_shown.emit(RunConfig.from_toml(snapshot.config_toml, "report config"))
        except ConfigError as exc:  # a report of another version: shown, its settings not copied to the pane
            self.session.log_message.emit("warning", f"{path}: its settings are not shown ({exc})")
        if snapshot.state in FINAL_STATES:
            self._set_mode(Mode.REPORT)
        else:
            self.live = report
            self.timer.start()
            self.session.log_message.emit("info", f"{path}: its run is still writing it; following it")
            self._set_mode(Mode.FOLLOWING)
        self.locate_media()

    def poll(self) -> BackgroundTask | None:
        """Refresh the followed report in the background (the timer calls this once a second); None when
        nothing is followed or the last refresh is still going."""
        if self.live is None or self.tasks.active("poll"):
            return None
        live, known = self.live, self.session.known_epochs()

        def job(state: TaskState) -> RunSnapshot | None:
            return read_snapshot(live, known) if live.refresh() else None

        return self.tasks.start("poll", job, done=lambda snapshot: self._polled(live, snapshot),
                                failed=self._poll_failed)

    def _polled(self, live: Report, snapshot: RunSnapshot | None) -> None:
        if live is not self.live:
            return
        if snapshot is not None:
            self.session.apply_snapshot(snapshot)
        if live.state in FINAL_STATES:
            self.session.log_message.emit("info", f"the followed run has ended ({live.state})")
            self.stop_following()

    def _poll_failed(self, exc: BaseException) -> None:
        # a writer replacing the file can make one read fail; the next poll reads the new file
        self.session.log_message.emit("warning", f"live report: {error_text(exc)}")

    def stop_following(self) -> None:
        """Stop refreshing the live report (it stays on show, as a report)."""
        self.timer.stop()
        self.tasks.cancel("poll")
        self.live = None
        if self.mode == Mode.FOLLOWING:
            self._set_mode(Mode.REPORT)

    def compare_report(self, path: str | Path) -> BackgroundTask:
        """Read another report's curves in the background, for the Curves pane to overlay."""
        file = Path(path)
        self._set_activity("compare", Activity(f"Reading {file.name}…"))

        def job(state: TaskState) -> CurveRun:
            report = _read_report(file)
            try:
                return CurveRun.from_report(report, comparison_name(file))
            except _READ_ERRORS as exc:
                raise ReportError(f"{file}: cannot read the report ({type(exc).__name__}: {exc})") from None

        return self.tasks.start("compare", job, done=self.comparison_read.emit, failed=self._failed("Cannot open report"))

    # -- comparing runs --------------------------------------------------------------------------
    def compare_runs(self, run_a: str | Path | None = None, run_b: str | Path | None = None, split: str = "test",
                     rule: str = "best") -> BackgroundTask | None:
        """Compare run B with run A (folders or reports) sample by sample, in the background
        (:mod:`core.experiments.compare`); ``runs_compared`` carries the result. When the dataset on show
        lacks the compared samples, B's report is opened so the browser lists them. None when cancelled."""
        from app.views.compare import compare_reports

        parent, start = self.dialog_parent, str(self.settings.last_folder)
        run_a = run_a or self.prompter.open_file(parent, "Compare runs: the report of run A (the reference)",
                                                 start, REPORT_FILTER)
        if not run_a:
            return None
        run_b = run_b or self.prompter.open_file(parent, "Compare runs: the report of run B (compared with A)",
                                                 str(Path(run_a).parent), REPORT_FILTER)
        if not run_b:
            return None
        self._set_activity("compare-runs", Activity(f"Comparing {Path(run_b).name} with {Path(run_a).name}…"))
        return self.tasks.start("compare-runs", lambda state: compare_reports(run_a, run_b, split, rule),
                                done=self._runs_compared, failed=self._failed("Cannot compare runs"))

    def _runs_compared(self, result) -> None:
        from app.views.compare import dataset_rows

        self.runs_compared.emit(result)
        dataset, ids = self.session.dataset, result.comparison.a.ids
        if dataset is not None and np.all(dataset_rows(ids, dataset.ids) >= 0):
            return
        if self.training or self.loading:
            self.session.log_message.emit("info", f"open {result.reports[1]} to list the compared samples")
            return
        self.open_report(result.reports[1])

    def open_experiment(self, folder: str | Path | None = None) -> BackgroundTask | None:
        """Read an experiment folder's runs in the background; ``experiment_read`` carries them (for the
        table from which two runs are compared). None when cancelled."""
        from app.views.experiment_table import read_experiment

        folder = folder or self.prompter.choose_folder(
            self.dialog_parent, "Open an experiment folder (made by modalens experiment run)", self.settings.last_folder)
        if not folder:
            return None
        importlib.import_module("core.strategies")  # the grid's expansion imports it: not in a worker thread
        self._set_activity("experiment", Activity(f"Reading experiment {Path(folder).name}…"))
        return self.tasks.start("experiment", lambda state: read_experiment(folder), done=self.experiment_read.emit,
                                failed=self._failed("Cannot open experiment"))

    def locate_media(self) -> bool:
        """Ask for the dataset folder when the media are not where the report says; True if found."""
        dataset = self.session.dataset
        if dataset is None or dataset.media_found():
            return True
        parent = self.dialog_parent
        asked = self.prompter.question(
            parent,
            "Dataset folder not found",
            f"The media of this report's dataset are not in {dataset.root}.\n"
            "Locate the dataset folder to play the samples? (Everything else works without it.)",
        )
        folder = self.prompter.choose_folder(parent, "Locate the dataset folder", str(dataset.root)) if asked else ""
        if not folder:
            self.session.log_message.emit("warning", f"media not found under {dataset.root}: samples will not play")
            return False
        if not dataset.with_root(folder).media_found():
            self.prompter.warning(parent, "Dataset folder not found",
                                  f"{folder} does not hold this dataset's media files either.")
            return False
        self.session.set_media_root(folder)
        self.session.log_message.emit("info", f"media found in {folder}")
        return True

    # -- export ----------------------------------------------------------------------------------
    def export(self, dst: str | Path, samples: np.ndarray | None = None, split: str | None = None,
               value_fn: str | None = None) -> Path:
        """Write the shown report (or some samples / one split of it) to ``dst``, atomically, in this thread:
        a ``.csv`` destination gets the per-sample values (all valued splits when ``split`` is None, under
        ``value_fn``), anything else a report copy."""
        src = self.session.report_path
        if src is None or not Path(src).is_file():
            raise ReportError("there is no report to export yet: start a run or open a report first")
        if Path(dst).suffix.lower() != ".csv":
            return export_report(src, dst, sample_index=samples, split=split)
        with open_report(src) as report:
            write_phi_csv(report, dst, split=split or ALL_SPLITS, value_fn=value_fn, samples=samples)
        return Path(dst)

    def export_dialog(self) -> BackgroundTask | None:
        """Ask what to export (the run, the selection or the filtered samples) and where, then export in
        the background; None when there is nothing to export or the user cancelled."""
        session = self.session
        parent = self.dialog_parent
        if session.report_path is None:
            self.prompter.warning(parent, "Export report", "There is no report yet: start a run or open a report.")
            return None
        selected, filtered = session.selection.copy(), session.filtered.copy()
        choice = self.prompter.export_choice(parent, len(selected), len(filtered), list(session.valuations))
        if choice is None:
            return None
        start = str(Path(self.settings.last_folder) / f"{Path(session.report_path).parent.name}-report.h5")
        dst = self.prompter.save_file(parent, "Export report", start, EXPORT_FILTER)
        if not dst:
            return None
        samples = {"run": None, "selection": selected, "filter": filtered}[choice.scope]
        value_fn = session.shown_value_fn or None
        self._set_activity("export", Activity(f"Exporting to {Path(dst).name}…"))
        return self.tasks.start("export", lambda state: self.export(dst, samples, choice.split, value_fn),
                                done=self._exported, failed=self._failed("Cannot export report"))

    def _exported(self, path: Path) -> None:
        self.settings.last_folder = Path(path).parent
        self.session.log_message.emit("info", f"report exported to {path}")

    # -- importing -------------------------------------------------------------------------------
    def import_dataset_dialog(self) -> BackgroundTask | None:
        """Ask for a dataset source, its folders and options, then import it in the background and open
        the folder written; None when refused or cancelled."""
        if self._refuse_while_training("import a dataset"):
            return None
        try:
            choice = self.prompter.import_choice(self.dialog_parent, str(self.settings.last_folder))
        except ValueError as exc:  # an option's text of the wrong type
            self.fail("Cannot import dataset", str(exc))
            return None
        return self.import_dataset(choice) if choice is not None else None

    def import_dataset(self, choice: ImportChoice) -> BackgroundTask | None:
        """Import ``choice`` (see :func:`core.data.sources.writer.import_dataset`) in the background, then
        open the dataset folder it wrote."""
        if not choice.root or not choice.out:
            self.fail("Cannot import dataset", "choose the dataset folder and the output folder to write")
            return None
        from core.data.sources import SOURCES
        from core.data.sources.writer import import_dataset

        source = SOURCES.get(choice.source)
        self._set_activity("import", Activity(f"Importing {choice.source} from {Path(choice.root).name}…"))

        def job(state: TaskState) -> Path:
            def echo(text: str) -> None:
                state.progress(0, 0, text.strip().splitlines()[0] if text.strip() else "")

            return Path(import_dataset(source, choice.root, choice.out, choice.given, choice.force, echo).out)

        def done(out: Path) -> None:
            self.session.log_message.emit("info", f"imported {choice.source} into {out} (see its import.txt)")
            self.open_dataset(out)

        def progress(_done: int, _total: int, text: str) -> None:
            self._set_activity("import", Activity(f"Importing {choice.source}: {text}" if text else
                                                  f"Importing {choice.source}…"))

        return self.tasks.start("import", job, done=done, failed=self._failed("Cannot import dataset"),
                                progress=progress)

    # -- valuing afterwards ----------------------------------------------------------------------
    def unvalued_splits(self) -> list[str]:
        """The splits of the shown finished (or stopped) run that it did not value and that have samples."""
        session = self.session
        if session.dataset is None or session.run_dir is None or session.run_state not in ("finished", "stopped"):
            return []
        present = set(session.dataset.splits.tolist())
        return [s for s in ("train", "val", "test") if s in present and s not in session.valuations]

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
        for module in (*LAZY_RUN_IMPORTS, *VALUING_IMPORTS):
            importlib.import_module(module)
        session = self.session
        run_dir, known = Path(session.run_dir), session.known_epochs()
        data_path = session.dataset.root if session.dataset.media_found() else None
        self._set_activity("value", Activity(f"Valuing the {split} split…"))

        def job(state: TaskState) -> RunSnapshot:
            value_split(run_dir, split, state, data_path)
            return read_snapshot(_read_report(run_dir / "report.h5"), known)

        def progress(done: int, total: int, text: str) -> None:
            self._set_activity("value", Activity(f"Valuing the {split} split: {text}…", done, total))

        return self.tasks.start("value", job, done=lambda snapshot: self._split_valued(split, run_dir, snapshot),
                                failed=self._failed("Cannot value split"), progress=progress)

    def _split_valued(self, split: str, run_dir: Path, snapshot: RunSnapshot) -> None:
        if self.session.run_dir is None or Path(self.session.run_dir) != run_dir:  # something else opened since
            self.session.log_message.emit("info", f"split {split!r} added to {run_dir / 'report.h5'}")
            return
        self.session.apply_snapshot(snapshot)
        self.session.log_message.emit("info", f"valued split {split!r}; added to {run_dir / 'report.h5'}")

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
            start = self.session.last_checkpoint or (self.session.run_dir / "checkpoints" if self.session.run_dir else "")
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
            report = run_dir / "report.h5"
            snapshot = None if shown or not report.is_file() else _snapshot(_read_report(report))
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
        self._set_activity("run", Activity("Preparing data…"))
        self.phase = "starting"
        self._set_mode(Mode.TRAINING)
        QTimer.singleShot(LAUNCH_DELAY_MS, lambda: self._start_engine(config, run_dir, resume_from, trusted))

    def _start_engine(self, config: RunConfig, run_dir: Path, resume_from: Path | None, trusted: bool) -> None:
        if self.phase != "starting":  # stopped (or the window closed) before the run began
            self._set_activity("run", None)
            self._set_phase("stopped" if self.phase == "stopping" else self.phase)
            return
        try:
            self.runner.start(config, run_dir, resume_from, trust_checkpoints=trusted)
        except Exception as exc:  # noqa: BLE001 - shown to the user; the window stays usable
            self._set_activity("run", None)
            self._set_phase("failed")
            self.fail("Cannot start training", error_text(exc))
            return
        self.session.log_message.emit("info", f"{'resuming' if resume_from else 'starting'} run in {run_dir}")

    def _log_during_start(self, level: str, text: str) -> None:
        if self.phase == "starting" and "run" in self._activities and level != "debug":
            self._set_activity("run", Activity(f"Preparing data… {text.splitlines()[0]}"))

    def _run_state_changed(self, state: str) -> None:
        """The own run's events move its phase (a report's state never does)."""
        if self.mode != Mode.TRAINING or not self.training or state not in ("running", "paused"):
            return
        self._set_activity("run", None)
        if self.phase != "stopping":  # a late "running" (resumed, started) must not undo Stop
            self._set_phase(state)

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
        self._set_phase("stopping")
        self.runner.stop(wait=False)

    def _run_ended(self, outcome) -> None:
        state = self.session.run_state
        if state not in FINAL_STATES:
            state = "failed" if outcome.failed else "finished"
        self._set_activity("run", None)
        self._set_phase(state)
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

    # -- closing ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop the run (it saves), the live follow and every background task; returns when all ended."""
        self._closing = True
        self.stop_following()
        if self.phase == "starting" and not self.runner.busy:
            self.phase = "stopping"
        self.runner.shutdown()
        self.tasks.wait_all()


def _report_time(folder: Path) -> float:
    try:
        return (folder / "report.h5").stat().st_mtime
    except OSError:
        return 0.0


def _run_data(folder: Path) -> Path | None:
    """The dataset folder a run's ``config.toml`` names (resolved), None when unreadable."""
    try:
        with (folder / "config.toml").open("rb") as handle:
            path = tomllib.load(handle).get("data", {}).get("path", "")
        return Path(path).resolve() if path else None
    except (OSError, ValueError, AttributeError):
        return None


def _read_report(path: Path) -> Report:
    """``open_report`` with every read error turned into a :class:`ReportError` naming the file."""
    try:
        return open_report(path)
    except ReportError:
        raise
    except _READ_ERRORS as exc:
        raise ReportError(f"{path}: not a readable ModaLens report ({type(exc).__name__}: {exc})") from None


def _snapshot(report: Report) -> RunSnapshot:
    """:func:`read_snapshot` with read errors turned into a :class:`ReportError` naming the file."""
    try:
        return read_snapshot(report)
    except ReportError:
        raise
    except _READ_ERRORS as exc:
        raise ReportError(f"{report.path}: cannot read the report ({type(exc).__name__}: {exc})") from None
