"""The controller's report actions: open or follow a report, overlay or compare runs, export."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.controller_base import ControllerBase, error_text
from app.state.curves import CurveRun, comparison_name
from app.state.report_loading import read_snapshot
from app.state.run_machine import Activity, Mode
from app.state.snapshot import RunSnapshot
from app.tasks import BackgroundTask, TaskState
from core.config import ConfigError, RunConfig
from core.report import ALL_SPLITS, Report, ReportError, export_report, open_report, write_phi_csv
from core.run_files import FINAL

FOLLOW_INTERVAL_MS = 1000
REPORT_FILTER = "ModaLens reports (*.h5);;All files (*)"
EXPORT_FILTER = "ModaLens reports (*.h5);;Per-sample values (*.csv);;All files (*)"
# h5py raises RuntimeError for some damaged files (a bad superblock) that the reader does not translate
_READ_ERRORS = (ReportError, OSError, KeyError, ValueError, RuntimeError)


class ReportActions(ControllerBase):
    """Showing reports (see :class:`app.controller.AppController`)."""

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
            report = read_report(file)
            state.check()
            return report, whole_snapshot(report)

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
        if snapshot.state in FINAL:
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
        if live.state in FINAL:
            self.session.log_message.emit("info", f"the followed run has ended ({live.state})")
            self.stop_following()

    def _poll_failed(self, exc: BaseException) -> None:
        # a writer replacing the file can make one read fail; the next poll reads the new file
        self.session.log_message.emit("warning", f"live report: {error_text(exc)}")

    def compare_report(self, path: str | Path) -> BackgroundTask:
        """Read another report's curves in the background, for the Curves pane to overlay."""
        file = Path(path)
        self._set_activity("compare", Activity(f"Reading {file.name}…"))

        def job(state: TaskState) -> CurveRun:
            report = read_report(file)
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


def read_report(path: Path) -> Report:
    """``open_report`` with every read error turned into a :class:`ReportError` naming the file."""
    try:
        return open_report(path)
    except ReportError:
        raise
    except _READ_ERRORS as exc:
        raise ReportError(f"{path}: not a readable ModaLens report ({type(exc).__name__}: {exc})") from None


def whole_snapshot(report: Report) -> RunSnapshot:
    """:func:`read_snapshot` with read errors turned into a :class:`ReportError` naming the file."""
    try:
        return read_snapshot(report)
    except ReportError:
        raise
    except _READ_ERRORS as exc:
        raise ReportError(f"{report.path}: cannot read the report ({type(exc).__name__}: {exc})") from None
