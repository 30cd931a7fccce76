"""The main window: the sample browser in the middle, every other view in a dockable pane.

The window owns the session, the training runner and the report actions, builds the menus and the
status bar, and remembers its layout, palette and recent files between launches.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.about import AboutDialog
from app.panels.curves import CurvesPane
from app.panels.log import LogPane
from app.panels.resampling import ResamplingPane
from app.panels.training import BUSY_STATES, TrainingPanel
from app.prompts import AutoPrompter, Prompter
from app.reports import ReportActions
from app.runner import TrainingRunner, new_run_dir
from app.session import DatasetView, Session
from app.settings import AppSettings
from app.tasks import BackgroundTask
from app.theme import PALETTES, Theme, app_icon, apply_theme, load_theme
from app.views.browser import SampleBrowser
from app.views.contribution import ContributionView
from app.views.dataset_plot import DatasetPlot
from app.views.player import SamplePlayer
from core.cli.progress import format_seconds
from core.config import ConfigError, RunConfig
from core.data.manifest import ManifestError, load_manifest
from core.data.prepare import format_exclusions
from core.training.checkpoint import CheckpointError, UntrustedCheckpointError, load_checkpoint

STATE_VERSION = 1
STATE_TEXT = {
    "idle": "No run",
    "starting": "Preparing data…",
    "running": "Training",
    "paused": "Paused",
    "stopping": "Stopping…",
    "stopped": "Stopped",
    "finished": "Finished",
    "failed": "Failed",
}
FINAL_STATES = ("finished", "stopped", "failed")
_DATASET_ERRORS = (ManifestError, ValueError, OSError)


_LEFT, _RIGHT, _BOTTOM = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea,
                          Qt.DockWidgetArea.BottomDockWidgetArea)
DOCKS = (
    ("training", "Training", _LEFT),
    ("resampling", "Re-sampling", _LEFT),
    ("player", "Sample", _RIGHT),
    ("contribution", "Contributions", _RIGHT),
    ("curves", "Curves", _BOTTOM),
    ("datasetPlot", "φ over the dataset", _BOTTOM),
    ("log", "Log", _LEFT),
)
TABBED = (("training", "resampling"), ("curves", "datasetPlot"))  # first one is in front
DOCK_SIZES = {"training": 330, "player": 420}  # widths of the side areas
BOTTOM_HEIGHT = 260
PLAYER_SHARE = 0.45  # of the right area's height
LOG_SHARE = 0.22  # of the left area's height


def default_layout(window: QMainWindow) -> QByteArray:
    """The first-launch arrangement of ``window``'s docks, as ``saveState`` bytes.

    It is built in a hidden stand-in window with empty docks of the same names: tabbing docks in the
    real window leaves a stray tab bar on screen (Qt 6.11), while ``restoreState`` lays them out cleanly.
    """
    scratch = QMainWindow()
    scratch.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    scratch.setCentralWidget(QWidget())
    scratch.setCorner(Qt.Corner.BottomLeftCorner, _LEFT)
    scratch.setCorner(Qt.Corner.BottomRightCorner, _RIGHT)
    docks = {}
    for key, title, area in DOCKS:
        dock = QDockWidget(title, scratch)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(QWidget())
        scratch.addDockWidget(area, dock)
        docks[key] = dock
    scratch.splitDockWidget(docks["player"], docks["contribution"], Qt.Orientation.Vertical)
    scratch.splitDockWidget(docks["training"], docks["log"], Qt.Orientation.Vertical)
    for group in TABBED:
        for key in group[1:]:
            scratch.tabifyDockWidget(docks[group[0]], docks[key])
        docks[group[0]].raise_()
    scratch.resize(window.size())
    scratch.show()
    height = window.height() - BOTTOM_HEIGHT
    scratch.resizeDocks([docks[k] for k in DOCK_SIZES], list(DOCK_SIZES.values()), Qt.Orientation.Horizontal)
    scratch.resizeDocks([docks["player"], docks["contribution"]],
                        [int(height * PLAYER_SHARE), int(height * (1 - PLAYER_SHARE))], Qt.Orientation.Vertical)
    scratch.resizeDocks([docks["training"], docks["log"]],
                        [int(window.height() * (1 - LOG_SHARE)), int(window.height() * LOG_SHARE)],
                        Qt.Orientation.Vertical)
    scratch.resizeDocks([docks["curves"]], [BOTTOM_HEIGHT], Qt.Orientation.Vertical)
    state = scratch.saveState(STATE_VERSION)
    scratch.close()
    scratch.deleteLater()
    return state


def offscreen() -> bool:
    return QApplication.platformName() in ("offscreen", "minimal") or os.environ.get("QT_QPA_PLATFORM") == "offscreen"


class TrainBanner(QFrame):
    """A strip above the table offering to train on the data just opened (or saying what is happening)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trainBanner")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.button = QPushButton("▶  Train")
        self.button.setObjectName("primaryButton")
        self.button.setToolTip("Train a model on this data with the settings of the Training pane (F5)")
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.button)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

    def offer(self, text: str) -> None:
        self.text.setText(text)
        self.button.show()
        self.show()

    def note(self, text: str) -> None:
        self.text.setText(text)
        self.button.hide()
        self.show()


class MainWindow(QMainWindow):
    """ModaLens's window. ``settings`` and ``prompter`` default to the user's settings and real dialogs
    (auto-answers when running offscreen)."""

    def __init__(self, settings: AppSettings | None = None, prompter: Prompter | None = None) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self.prompter = prompter or (AutoPrompter() if offscreen() else Prompter())
        self.setWindowTitle("ModaLens")
        self.setWindowIcon(app_icon())
        self.setDockNestingEnabled(True)
        self.mode = "empty"
        self._stop_requested = False
        self.theme: Theme | None = None
        self._tasks: list[BackgroundTask] = []
        self._closing = False

        self.session = Session(self)
        self.runner = TrainingRunner(self.session, self)
        self.reports = ReportActions(self.session, self.settings, self.prompter, self)

        self.browser = SampleBrowser(self.session)
        self.player = SamplePlayer(self.session)
        self.contribution = ContributionView(self.session)
        self.dataset_plot = DatasetPlot(self.session)
        self.curves = CurvesPane(self.session, self.prompter)
        self.training = TrainingPanel()
        self.resampling = ResamplingPane(self.session, self.runner, self.browser.filtered_indices, self.prompter)
        self.log = LogPane(self.session)
        self.training.runs_folder.setText(str(self.settings.runs_dir))

        self.banner = TrainBanner()
        self.banner.hide()
        self.banner.button.clicked.connect(self.start_training)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.browser, 1)
        self.setCentralWidget(central)

        self.docks: dict[str, QDockWidget] = {}
        self._build_docks()
        self._build_status_bar()
        self._build_menus()
        self._connect()
        self.set_palette(self.settings.palette)
        self._restore_layout()
        self._set_mode("empty")

    # -- layout ----------------------------------------------------------------------------------
    def _dock(self, key: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(area, dock)
        self.docks[key] = dock
        return dock

    def _build_docks(self) -> None:
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.RightDockWidgetArea)
        widgets = {"training": self.training, "resampling": self.resampling, "player": self.player,
                   "contribution": self.contribution, "curves": self.curves, "datasetPlot": self.dataset_plot,
                   "log": self.log}
        for key, title, area in DOCKS:
            self._dock(key, title, widgets[key], area)

    def _restore_layout(self) -> None:
        geometry = self.settings.window_geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            screen = QApplication.primaryScreen()
            available = screen.availableGeometry() if screen else None
            width = min(1440, available.width()) if available else 1280
            height = min(900, available.height()) if available else 800
            self.resize(width, height)
        self._default_state = default_layout(self)
        state = self.settings.window_state()
        if state is None or not self.restoreState(state, STATE_VERSION):
            self.restoreState(self._default_state, STATE_VERSION)

    def reset_layout(self) -> None:
        """Put every pane back where it is on first launch."""
        self.restoreState(self._default_state, STATE_VERSION)
        for dock in self.docks.values():
            dock.setFloating(False)
            dock.show()

    def save_layout(self) -> None:
        self.settings.save_window(self.saveGeometry(), self.saveState(STATE_VERSION))

    # -- menus ------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut: QKeySequence | str | None = None, tip: str = "") -> QAction:
        action = menu.addAction(text)
        action.triggered.connect(slot)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.act_open_dataset = self._action(file, "Open &dataset…", lambda: self.open_dataset(),
                                             QKeySequence.StandardKey.Open, "Open a folder holding manifest.csv")
        self.act_open_report = self._action(file, "Open &report…", lambda: self.open_report(), "Ctrl+Shift+O",
                                            "Browse a finished run's report (no training)")
        self.act_follow = self._action(file, "&Follow live report…", lambda: self.follow_report(), "Ctrl+L",
                                       "Watch a report that a run elsewhere is still writing")
        self.act_export = self._action(file, "&Export report…", self.export_report, "Ctrl+E",
                                       "Save the report, or the selected / filtered samples of it")
        self.recent_menu = file.addMenu("Recent &files")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        run = bar.addMenu("&Run")
        self.act_start = self._action(run, "&Start training", self.start_training, "F5")
        self.act_pause = self._action(run, "&Pause / resume", self.toggle_pause, "F6")
        self.act_stop = self._action(run, "S&top", self.stop_training, "Shift+F5")
        self.act_resume = self._action(run, "&Resume from checkpoint…", lambda: self.resume_training(), "Ctrl+F5")

        view = bar.addMenu("&View")
        for dock in self.docks.values():
            view.addAction(dock.toggleViewAction())
        view.addSeparator()
        palette_menu = view.addMenu("&Palette")
        self.palette_actions = QActionGroup(self)
        for name in PALETTES:
            action = palette_menu.addAction(name.capitalize())
            action.setCheckable(True)
            action.setData(name)
            action.triggered.connect(lambda _=False, n=name: self.set_palette(n))
            self.palette_actions.addAction(action)
        self._action(view, "&Reset layout", self.reset_layout)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&About ModaLens", self.show_about, QKeySequence.StandardKey.HelpContents)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files()
        for item in recent:
            action = self.recent_menu.addAction(f"{item.kind}: {item.path}")
            exists = Path(item.path).exists()
            action.setEnabled(exists)
            if not exists:
                action.setToolTip("not found")
            opener = self.open_dataset if item.kind == "dataset" else self.open_report
            action.triggered.connect(lambda _=False, f=opener, p=item.path: f(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear recent files", self.settings.clear_recent)
        else:
            self.recent_menu.addAction("(none)").setEnabled(False)

    # -- status bar -------------------------------------------------------------------------------
    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.device_label = QLabel()
        self.device_label.setToolTip("Device the run trains on")
        self.state_label = QLabel()
        self.state_label.setObjectName("runState")
        bold = self.state_label.font()
        bold.setBold(True)
        self.state_label.setFont(bold)
        self.state_label.setContentsMargins(6, 0, 6, 0)
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setTextVisible(True)
        self.progress.hide()
        self.remaining_label = QLabel()
        bar.addPermanentWidget(self.device_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.remaining_label)
        bar.addPermanentWidget(self.state_label)

    def _show_progress(self, progress) -> None:
        total = max(progress.total_steps, 1)
        self.progress.setRange(0, total)
        self.progress.setValue(min(progress.done_steps, total))
        epochs = self.session.total_epochs
        self.progress.setFormat(f"epoch {progress.epoch + 1}/{epochs} · %p%" if epochs else "%p%")
        self.progress.show()
        self.remaining_label.setText(f"{format_seconds(progress.remaining_s)} left")

    def _show_state(self, state: str) -> None:
        if self.mode == "live":
            text = "Following live report" if self.reports.following else "Live report ended"
        elif self.mode == "report":
            text = f"Report ({state})"
        else:
            text = STATE_TEXT.get(state, state)
        self.state_label.setText(text)
        if self.theme is not None:
            key = "following" if self.mode == "live" else "report" if self.mode == "report" else state
            self.state_label.setStyleSheet(f"color: {self.theme.state_color(key).name()}")
        self.device_label.setText(self.session.device or "")
        if state not in BUSY_STATES:
            self.remaining_label.clear()

    # -- wiring -----------------------------------------------------------------------------------
    def _connect(self) -> None:
        session = self.session
        session.run_state_changed.connect(self._run_state_changed)
        session.progress_changed.connect(self._show_progress)
        session.dataset_changed.connect(self._update_title)
        self.training.start_requested.connect(self.start_training)
        self.training.pause_toggled.connect(self.toggle_pause)
        self.training.stop_requested.connect(self.stop_training)
        self.training.resume_requested.connect(lambda: self.resume_training())
        self.runner.finished.connect(self._run_ended)
        self.reports.following_changed.connect(lambda _: self._show_state(session.run_state))

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        can_train = mode in ("empty", "dataset", "run", "report")
        reason = {"live": "A live report is shown: training is off while following it"}.get(mode, "")
        self.training.set_can_train(can_train, reason)
        self._update_actions()
        self._show_state(self.session.run_state)

    def _update_actions(self) -> None:
        busy = self.runner.busy
        state = self.session.run_state
        self.act_start.setEnabled(not busy and self.mode != "live")
        self.act_pause.setEnabled(busy and state in ("running", "paused"))
        self.act_stop.setEnabled(busy)
        self.act_resume.setEnabled(not busy and self.mode != "live")
        self.act_export.setEnabled(self.session.report_path is not None)
        for action in (self.act_open_dataset, self.act_open_report, self.act_follow):
            action.setEnabled(not busy)

    def _run_state_changed(self, state: str) -> None:
        if self._stop_requested and state not in FINAL_STATES:  # reset when the run has ended
            self._show_stopping()  # a late "running" (resumed, started) must not undo Stop
            return
        waiting = self.runner.busy and state not in BUSY_STATES and state not in FINAL_STATES
        self.training.set_state("starting" if waiting else state)
        self._update_actions()
        self._show_state(state)

    def _update_title(self) -> None:
        dataset = self.session.dataset
        self.setWindowTitle(f"ModaLens — {dataset.root.name or dataset.root}" if dataset is not None else "ModaLens")

    # -- data -------------------------------------------------------------------------------------
    def open_dataset(self, path: str | Path | None = None) -> bool:
        """List a dataset folder's samples (no decoding); False (with a message) when it cannot be read."""
        if self._refuse_while_training("open a dataset"):
            return False
        path = path or self.prompter.choose_folder(self, "Open a dataset folder (holding manifest.csv)",
                                                   self.settings.last_folder)
        if not path:
            return False
        try:
            manifest = load_manifest(path)
        except _DATASET_ERRORS as exc:
            self.prompter.error(self, "Cannot open dataset", str(exc))
            return False
        self.reports.stop_following()
        self.session.show_dataset(DatasetView.from_samples(manifest))
        self.training.data_folder.setText(str(Path(path)))
        self.settings.add_recent("dataset", path)
        self.settings.last_folder = Path(path).parent
        if manifest.excluded:
            self.session.log_message.emit("warning", f"{path}/manifest.csv: {format_exclusions(manifest.excluded)}")
        self.session.log_message.emit("info", f"opened dataset {path}: {len(manifest)} samples")
        self.banner.offer(
            f"<b>{len(manifest)} samples</b> of <b>{Path(path).name}</b> "
            f"({', '.join(manifest.modalities)}; {len(manifest.class_names)} classes). Nothing is trained yet: "
            "train a model to see how much each modality contributes to each sample."
        )
        self._set_mode("dataset")
        return True

    def open_demo(self, preset: str = "balanced", samples: int | None = None) -> BackgroundTask:
        """Create the demo data if it is missing (in a background thread), then open it."""
        from core.demo import DEFAULT_SAMPLES, default_demo_dir, ensure_demo

        folder = default_demo_dir(preset)
        count = samples or DEFAULT_SAMPLES
        if not (folder / "manifest.csv").is_file():
            self.banner.note(f"Creating the demo data in {folder} (a few seconds the first time)…")
            self.statusBar().showMessage("Creating the demo data…")

        def job(progress) -> Path:
            return ensure_demo(folder, preset=preset, samples=count, progress=progress)

        task = self.run_task(job, "modalens-demo")
        task.progress.connect(self._demo_progress)
        shown = (self.mode, self.session.dataset)
        task.done.connect(lambda path: self._demo_ready(path, shown))
        task.failed.connect(lambda message: self.prompter.error(self, "Cannot create the demo data", message))
        task.start()
        return task

    def _demo_ready(self, path: Path, shown_before: tuple) -> None:
        """Open the finished demo, unless the user has opened something else in the meantime."""
        self.statusBar().clearMessage()
        if (self.mode, self.session.dataset) == shown_before and not self.runner.busy:
            self.open_dataset(path)
        else:
            self.statusBar().showMessage(f"Demo data ready in {path} (File → Open dataset)", 10_000)

    def _demo_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"demo data {done}/{total}")
        self.progress.show()
        if done >= total:
            self.progress.hide()

    def run_task(self, job, name: str) -> BackgroundTask:
        """A background job owned by the window (joined when the window closes)."""
        task = BackgroundTask(job, name, self)
        self._tasks = [t for t in self._tasks if not t.finished()] + [task]
        return task

    def open_report(self, path: str | Path | None = None) -> bool:
        if self._refuse_while_training("open a report"):
            return False
        if not self.reports.open(path):
            return False
        self._report_shown("report")
        return True

    def follow_report(self, path: str | Path | None = None) -> bool:
        if self._refuse_while_training("follow a live report"):
            return False
        if not self.reports.follow(path):
            return False
        self._report_shown("live" if self.reports.following else "report")
        return True

    def _report_shown(self, mode: str) -> None:
        self.banner.hide()
        try:
            config = RunConfig.from_toml(self.session.config_toml, "report config")
        except ConfigError:
            config = None
        if config is not None:
            self.training.set_config(config)
        self._set_mode(mode)

    def export_report(self) -> Path | None:
        selected = self.session.selection
        return self.reports.export_dialog(selected, self.browser.filtered_indices())

    def _refuse_while_training(self, what: str) -> bool:
        if self.runner.busy:
            self.prompter.warning(self, "Training is running", f"Stop the run before you {what}.")
            return True
        return False

    # -- training ---------------------------------------------------------------------------------
    def start_training(self) -> bool:
        """Start a run with the Training pane's settings; False (with a message) when it cannot start."""
        if self.runner.busy or self.mode == "live":
            return False
        try:
            config = self.training.config()
        except ValueError as exc:
            self.prompter.error(self, "Cannot start training", str(exc))
            return False
        runs_dir = self.training.runs_dir() or str(self.settings.runs_dir)
        try:
            run_dir = new_run_dir(runs_dir, config.strategy.name)
            run_dir.mkdir(parents=True)
        except OSError as exc:
            self.prompter.error(self, "Cannot start training", f"{runs_dir}: cannot create a run folder ({exc})")
            return False
        self.settings.runs_dir = runs_dir
        self._launch(config, run_dir, None)
        return True

    def resume_training(self, checkpoint: str | Path | None = None, epochs: int | None = None) -> bool:
        """Continue a run from a checkpoint, to ``epochs`` epochs in all (default: the Training pane's
        epochs, or one more epoch when the checkpoint is already there)."""
        if self.runner.busy or self.mode == "live":
            return False
        if checkpoint is None:
            start = self.session.last_checkpoint or (self.session.run_dir / "checkpoints" if self.session.run_dir else "")
            checkpoint = self.prompter.open_file(self, "Resume from checkpoint", str(start or self.settings.last_folder),
                                                 "Checkpoints (*.pt);;All files (*)")
            if not checkpoint:
                return False
        checkpoint = Path(checkpoint)
        trusted = False
        try:
            try:
                state = load_checkpoint(checkpoint)
            except UntrustedCheckpointError:
                trusted = self.prompter.question(
                    self,
                    "Trust this checkpoint?",
                    f"{checkpoint} is in the older ModaLens 0.1 format. Reading it can run any code the file "
                    "holds. Read it only if you made it yourself or trust whoever did.",
                )
                if not trusted:
                    return False
                state = load_checkpoint(checkpoint, trusted=True)
            config = RunConfig.from_toml(state["config_toml"], f"{checkpoint} (config)")
        except (CheckpointError, ConfigError, KeyError) as exc:
            self.prompter.error(self, "Cannot resume", str(exc))
            return False
        next_epoch = int(state.get("next_epoch", 0))
        config.optim.epochs = epochs if epochs is not None else max(self.training.epochs.value(), next_epoch + 1)
        if config.optim.epochs <= next_epoch:
            self.prompter.error(self, "Cannot resume", f"{checkpoint} has already trained {next_epoch} epoch(s); "
                                f"ask for more than {next_epoch}")
            return False
        config.runtime.device = self.training.device.currentText()
        run_dir = checkpoint.resolve().parent.parent
        report = run_dir / "report.h5"
        shown = self.session.run_dir is not None and self.session.run_dir.resolve() == run_dir
        if not shown and report.is_file():
            self.reports.open(report)
        self.training.set_config(config)
        self._launch(config, run_dir, checkpoint, trusted)
        return True

    def _launch(self, config: RunConfig, run_dir: Path, resume_from: Path | None, trusted: bool = False) -> None:
        self.reports.stop_following()
        self.banner.hide()
        self.runner.start(config, run_dir, resume_from, trust_checkpoints=trusted)
        self.session.log_message.emit("info", f"{'resuming' if resume_from else 'starting'} run in {run_dir}")
        self.training.set_state("starting")
        self._set_mode("run")
        self._show_state("starting")

    def toggle_pause(self) -> None:
        if not self.runner.busy:
            return
        if self.runner.engine.paused:
            self.runner.resume()
        else:
            self.runner.pause()
            self.statusBar().showMessage("Pausing at the next step…", 3000)

    def stop_training(self) -> None:
        """Ask the run to stop at the next step; it saves a checkpoint and its report, then ends."""
        if self.runner.busy:
            self._stop_requested = True
            self.runner.stop(wait=False)
            self._show_stopping()

    def _show_stopping(self) -> None:
        self.training.set_state("stopping")
        self.act_pause.setEnabled(False)
        self._show_state("stopping")

    def _run_ended(self, outcome) -> None:
        self._stop_requested = False
        state = self.session.run_state
        level = "error" if outcome.failed else "info"
        self.session.log_message.emit(level, f"run {state} after {outcome.epochs_done} epoch(s): {outcome.run_dir}")
        self.training.set_state(state)
        self._update_actions()
        self._show_state(state)
        self.progress.hide()
        if outcome.failed and not self._closing:
            self.prompter.error(self, "Training failed", self.session.last_error or "the run failed; see the Log pane")

    # -- look & help ------------------------------------------------------------------------------
    def set_palette(self, name: str) -> None:
        """Switch to the light or dark palette (remembered for the next launch).

        An unknown name (an old setting) or a missing palette file leaves the look as it is, with a note
        in the log, rather than keeping the window from opening."""
        try:
            theme = load_theme(name)
        except ValueError as exc:
            self.session.log_message.emit("warning", f"palette {name!r} not applied: {exc}")
            return
        self.theme = theme
        apply_theme(QApplication.instance(), self.theme, (self.banner, self.training.start_button))
        self.settings.palette = name
        for action in self.palette_actions.actions():
            action.setChecked(action.data() == name)
        self.log.set_colors({level: self.theme.log_color(level) for level in ("debug", "info", "warning", "error")})
        self._show_state(self.session.run_state)

    def show_about(self) -> None:
        dialog = AboutDialog(self)
        if offscreen():
            dialog.show()
        else:
            dialog.exec()

    # -- selection helpers (used by --screenshot and tests) -----------------------------------------
    def select_sample(self, index: int) -> None:
        self.session.select(np.asarray([index], np.int64))

    # -- closing ----------------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        if self.runner.busy:
            if self.prompter.close_while_training(self) != "stop":
                event.ignore()
                return
            self.statusBar().showMessage("Stopping the run and saving it…")
            QApplication.processEvents()
        self._closing = True
        self.shutdown()
        event.accept()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the run (saving it), the live follow, media and background threads; save the layout."""
        self.save_layout()
        self.reports.stop_following()
        self.runner.shutdown()
        self.player.shutdown()
        self.curves.timer.stop()
        for task in self._tasks:
            task.wait()
        self.settings.sync()

