"""File menu actions on reports: open a finished run, follow a live one, export all or part of one.

A report opened without its model shows everything but training; its media play when the dataset
folder is where the report says, and the user is asked to locate it otherwise. Following a live
report polls ``Report.refresh()`` once a second and feeds new epochs into the session. A bad file gives
a message naming the file and the problem, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from app.prompts import Prompter
from app.session import Session
from app.settings import AppSettings
from core.report.errors import ReportError
from core.report.export import export_report
from core.report.reader import Report, open_report

FOLLOW_INTERVAL_MS = 1000
FINAL_STATES = ("finished", "stopped", "failed")
REPORT_FILTER = "ModaLens reports (*.h5);;All files (*)"
# h5py raises RuntimeError for some damaged files (a bad superblock) that the reader does not translate
_READ_ERRORS = (ReportError, OSError, KeyError, ValueError, RuntimeError)


class ReportActions(QObject):
    """Opens, follows and exports reports for the window."""

    following_changed = Signal(bool)
    report_loaded = Signal(str)  # path

    def __init__(self, session: Session, settings: AppSettings, prompter: Prompter, parent: QWidget) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.prompter = prompter
        self._widget = parent
        self.live: Report | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(FOLLOW_INTERVAL_MS)
        self.timer.timeout.connect(self.poll)

    @property
    def following(self) -> bool:
        return self.live is not None

    # -- open ------------------------------------------------------------------------------------
    def open(self, path: str | Path | None = None) -> bool:
        """Show a report (asks for the file when ``path`` is None); False when it could not be read."""
        path = path or self.prompter.open_file(self._widget, "Open report", self.settings.last_folder, REPORT_FILTER)
        if not path:
            return False
        self.stop_following()
        report = self._load(Path(path))
        if report is None:
            return False
        report.close()
        self._opened(Path(path))
        return True

    def follow(self, path: str | Path | None = None) -> bool:
        """Show a report that another process is still writing and keep it up to date."""
        path = path or self.prompter.open_file(
            self._widget, "Follow a live report", self.settings.last_folder, REPORT_FILTER
        )
        if not path:
            return False
        self.stop_following()
        report = self._load(Path(path))
        if report is None:
            return False
        self._opened(Path(path))
        if report.state in FINAL_STATES:
            self.session.log_message.emit("info", f"{path}: the run has ended ({report.state}); nothing to follow")
            report.close()
            return True
        self.live = report
        self.timer.start()
        self.session.log_message.emit("info", f"following {path}")
        self.following_changed.emit(True)
        return True

    def stop_following(self) -> None:
        self.timer.stop()
        if self.live is not None:
            self.live.close()
            self.live = None
            self.following_changed.emit(False)

    def poll(self) -> None:
        """Pick up what the writer added since the last poll (the timer calls this once a second)."""
        if self.live is None:
            return
        try:
            changed = self.live.refresh()
            if changed:
                self.session.sync_report(self.live)
        except _READ_ERRORS as exc:
            # a writer replacing the file can make one read fail; the next poll reads the new file
            self.session.log_message.emit("warning", f"live report: {exc}")
            return
        if self.live.state in FINAL_STATES:
            self.session.log_message.emit("info", f"the followed run has ended ({self.live.state})")
            self.stop_following()

    def _load(self, path: Path) -> Report | None:
        try:
            report = open_report(path)
        except ReportError as exc:
            self.prompter.error(self._widget, "Cannot open report", str(exc))
            return None
        except _READ_ERRORS as exc:
            self.prompter.error(self._widget, "Cannot open report",
                                f"{path}: not a readable ModaLens report ({type(exc).__name__}: {exc})")
            return None
        try:
            self.session.load_report(report)
        except _READ_ERRORS as exc:
            report.close()
            self.prompter.error(self._widget, "Cannot open report", f"{path}: cannot read the report ({exc})")
            return None
        return report

    def _opened(self, path: Path) -> None:
        self.settings.add_recent("report", path)
        self.settings.last_folder = path.parent
        self.session.log_message.emit("info", f"opened report {path}")
        self.locate_media()
        self.report_loaded.emit(str(path))

    def locate_media(self) -> bool:
        """Ask for the dataset folder when the media are not where the report says; True if found."""
        dataset = self.session.dataset
        if dataset is None or dataset.media_found():
            return True
        asked = self.prompter.question(
            self._widget,
            "Dataset folder not found",
            f"The media of this report's dataset are not in {dataset.root}.\n"
            "Locate the dataset folder to play the samples? (Everything else works without it.)",
        )
        folder = self.prompter.choose_folder(self._widget, "Locate the dataset folder", str(dataset.root)) if asked else ""
        if not folder:
            self.session.log_message.emit("warning", f"media not found under {dataset.root}: samples will not play")
            return False
        if not dataset.with_root(folder).media_found():
            self.prompter.warning(
                self._widget, "Dataset folder not found", f"{folder} does not hold this dataset's media files either."
            )
            return False
        self.session.set_media_root(folder)
        self.session.log_message.emit("info", f"media found in {folder}")
        return True

    # -- export ----------------------------------------------------------------------------------
    def export(self, dst: str | Path, samples: np.ndarray | None = None, split: str | None = None) -> Path:
        """Write the shown report (or some samples / one split of it) to ``dst``, atomically."""
        src = self.session.report_path
        if src is None or not Path(src).is_file():
            raise ReportError("there is no report to export yet: start a run or open a report first")
        return export_report(src, dst, sample_index=samples, split=split)

    def export_dialog(self, selected: np.ndarray, filtered: np.ndarray) -> Path | None:
        """Ask what to export and where, then export; errors are shown, not raised."""
        if self.session.report_path is None:
            self.prompter.warning(self._widget, "Export report", "There is no report yet: start a run or open a report.")
            return None
        choice = self.prompter.export_choice(self._widget, len(selected), len(filtered), list(self.session.valuations))
        if choice is None:
            return None
        start = str(Path(self.settings.last_folder) / f"{Path(self.session.report_path).parent.name}-report.h5")
        dst = self.prompter.save_file(self._widget, "Export report", start, REPORT_FILTER)
        if not dst:
            return None
        samples = {"run": None, "selection": selected, "filter": filtered}[choice.scope]
        try:
            path = self.export(dst, samples, choice.split)
        except _READ_ERRORS as exc:
            self.prompter.error(self._widget, "Cannot export report", str(exc))
            return None
        self.settings.last_folder = Path(dst).parent
        self.session.log_message.emit("info", f"report exported to {path}")
        return path
