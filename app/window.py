"""The main window: the sample browser in the middle, every other view in a dockable pane.

The window lays the views out, builds the menus and the status bar from the
:class:`app.controller.AppController` (which holds the state and does every action), and remembers its
layout, palette and recent files between launches.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TypeVar

import numpy as np
from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.about import AboutDialog
from app.controller import AppController, Mode
from app.figure_export import FigureExporter
from app.prompts import AutoPrompter, Prompter
from app.session import Session
from app.settings import AppSettings
from app.theme import PALETTES, Theme, app_icon, apply_theme, load_theme
from app.views.base import LEFT, RIGHT, View, ViewContext
from app.views.browser import SampleBrowser
from app.views.compare import CompareView
from app.views.contribution import ContributionView
from app.views.curves import CurvesPane
from app.views.dataset_plot import DatasetPlot
from app.views.experiment_table import ExperimentTable
from app.views.log import LogPane
from app.views.player import SamplePlayer
from app.views.registry import VIEWS
from app.views.resampling import ResamplingPane
from app.views.training import TrainingPanel
from core.run_files import RunState
from core.text import format_seconds

STATE_VERSION = 1

TABBED = (("training", "resampling"), ("curves", "datasetPlot", "compare"))  # first one is in front
DOCK_SIZES = {"training": 330, "player": 420}  # widths of the side areas (at 1440 pixels and wider)
DOCK_SHARES = {"training": 0.26, "player": 0.30}  # their largest share of a narrower window's width
BOTTOM_HEIGHT = 260
PLAYER_SHARE = 0.5  # of the right area's height
CHROME_HEIGHT = 60  # menu bar, status bar and dock titles: what the right area's docks do not get
LOG_SHARE = 0.22  # of the left area's height
V = TypeVar("V", bound=View)


def default_layout(window: QMainWindow) -> QByteArray:
    """The first-launch arrangement of ``window``'s docks, as ``saveState`` bytes.

    It is built in a hidden stand-in window with empty docks of the same names: tabbing docks in the
    real window leaves a stray tab bar on screen (Qt 6.11), while ``restoreState`` lays them out cleanly.
    """
    scratch = QMainWindow()
    scratch.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
    scratch.setCentralWidget(QWidget())
    scratch.setCorner(Qt.Corner.BottomLeftCorner, LEFT)
    scratch.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
    docks = {}
    for key, view in VIEWS.items():
        dock = QDockWidget(view.title, scratch)
        dock.setObjectName(f"{key}Dock")
        dock.setWidget(QWidget())
        scratch.addDockWidget(view.area, dock)
        docks[key] = dock
    scratch.splitDockWidget(docks["player"], docks["contribution"], Qt.Orientation.Vertical)
    scratch.splitDockWidget(docks["training"], docks["log"], Qt.Orientation.Vertical)
    for group in TABBED:
        for key in group[1:]:
            scratch.tabifyDockWidget(docks[group[0]], docks[key])
        docks[group[0]].raise_()
    scratch.resize(window.size())
    scratch.show()
    height = window.height() - CHROME_HEIGHT
    widths = [min(DOCK_SIZES[k], int(window.width() * DOCK_SHARES[k])) for k in DOCK_SIZES]
    scratch.resizeDocks([docks[k] for k in DOCK_SIZES], widths, Qt.Orientation.Horizontal)
    scratch.resizeDocks([docks["player"], docks["contribution"]],
                        [int(height * PLAYER_SHARE), int(height * (1 - PLAYER_SHARE))], Qt.Orientation.Vertical)
    scratch.resizeDocks([docks["training"], docks["log"]],
                        [int(window.height() * (1 - LOG_SHARE)), int(window.height() * LOG_SHARE)],
                        Qt.Orientation.Vertical)
    scratch.resizeDocks([docks["curves"]], [BOTTOM_HEIGHT], Qt.Orientation.Vertical)
    for key, view in VIEWS.items():
        if not view.shown_at_start:
            docks[key].hide()
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
        self.last_run: Path | None = None
        self.open_button = QPushButton("Open last run")
        self.open_button.setToolTip("Show the report of the newest run in the runs folder")
        self.open_button.hide()
        self.close_button = QToolButton()
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Hide")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.button)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)

    def offer(self, text: str, last_run: Path | None = None) -> None:
        """Offer to train, and to open ``last_run`` (a report) when given."""
        self.text.setText(text)
        self.last_run = last_run
        self.open_button.setVisible(last_run is not None)
        self.button.show()
        self.show()

    def note(self, text: str) -> None:
        self.text.setText(text)
        self.button.hide()
        self.open_button.hide()
        self.show()


class DatasetSummaryDialog(QDialog):
    """View → Dataset summary: usable samples per split and the rows left out, by kind of problem."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Dataset summary")
        self.text = QPlainTextEdit(text)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        layout.addWidget(buttons)
        self.resize(640, 320)


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
        self.theme: Theme | None = None

        self.session = Session(self)
        self.controller = AppController(self.session, self.settings, self.prompter, self)
        self.controller.dialog_parent = self

        self.browser = SampleBrowser(self.session)
        context = ViewContext(self.session, self.controller, self.prompter, self.settings)
        self.views: dict[str, View] = {key: view.build(context) for key, view in VIEWS.items()}
        # the ones the window itself wires or reads:
        self.player = self._view("player", SamplePlayer)
        self.contribution = self._view("contribution", ContributionView)
        self.dataset_plot = self._view("datasetPlot", DatasetPlot)
        self.compare = self._view("compare", CompareView)
        self.curves = self._view("curves", CurvesPane)
        self.training = self._view("training", TrainingPanel)
        self.resampling = self._view("resampling", ResamplingPane)
        self.log = self._view("log", LogPane)

        self.banner = TrainBanner()
        self.banner.hide()
        self.banner.button.clicked.connect(self.start_training)
        self.banner.open_button.clicked.connect(self.open_last_run)
        self.summary_dialog: DatasetSummaryDialog | None = None
        self.experiment_table: ExperimentTable | None = None
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
        self._controller_changed()
        self._update_dataset_label()

    @property
    def mode(self) -> Mode:
        return self.controller.mode

    def _view(self, key: str, kind: type[V]) -> V:
        """The view built for ``key``, which the registry makes a ``kind``."""
        view = self.views[key]
        assert isinstance(view, kind)
        return view

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
        self.setCorner(Qt.Corner.BottomLeftCorner, LEFT)
        self.setCorner(Qt.Corner.BottomRightCorner, RIGHT)
        for key, view in VIEWS.items():
            self._dock(key, view.title, self.views[key], view.area)

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
        """Put every pane back where it is on first launch (sized for the window's current size)."""
        self._default_state = default_layout(self)
        self.restoreState(self._default_state, STATE_VERSION)
        for key, dock in self.docks.items():
            dock.setFloating(False)
            dock.setVisible(VIEWS[key].shown_at_start)

    def save_layout(self) -> None:
        self.settings.save_window(self.saveGeometry(), self.saveState(STATE_VERSION))

    # -- menus ------------------------------------------------------------------------------------
    def _action(self, menu, text: str, slot, shortcut: QKeySequence | QKeySequence.StandardKey | str | None = None, tip: str = "") -> QAction:
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
        control = self.controller
        file = bar.addMenu("&File")
        self.act_open_dataset = self._action(file, "Open &dataset…", lambda: control.open_dataset(),
                                             QKeySequence.StandardKey.Open, "Open a folder holding manifest.csv")
        self.act_open_report = self._action(file, "Open &report…", lambda: control.open_report(), "Ctrl+Shift+O",
                                            "Browse a run's report (no training); a run still writing it is followed")
        self.act_follow = self._action(file, "&Follow live report…", lambda: control.follow_report(), "Ctrl+L",
                                       "Watch a report that a run elsewhere is still writing")
        self.act_import = self._action(file, "&Import dataset…", lambda: control.import_dataset_dialog(),
                                       tip="Write a dataset folder (manifest.csv) for a dataset as distributed")
        self.act_export = self._action(file, "&Export report…", control.export_dialog, "Ctrl+E",
                                       "Save the report, or the selected / filtered samples of it")
        self.figure_exporter = FigureExporter(self, self.prompter)  # also "Export figure…" in each plot's menu
        self.act_export_figure = self._action(file, "Export &figure…", lambda: self.figure_exporter.open_dialog(),
                                              tip="Save a plot as PNG, SVG or PDF at a chosen size")
        self.act_compare = self._action(file, "&Compare runs…", lambda: control.compare_runs(),
                                        tip="Two runs sample by sample: what run B fixed and broke")
        self.act_open_experiment = self._action(file, "Open e&xperiment…", lambda: control.open_experiment(),
                                                tip="The runs of an experiment folder, two of them to compare")
        self.recent_menu = file.addMenu("Recent &files")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        run = bar.addMenu("&Run")
        self.act_start = self._action(run, "&Start training", self.start_training, "F5")
        self.act_pause = self._action(run, "&Pause / resume", control.toggle_pause, "F6")
        self.act_stop = self._action(run, "S&top", control.stop_training, "Shift+F5")
        self.act_resume = self._action(run, "&Resume from checkpoint…", lambda: self.resume_training(), "Ctrl+F5")
        self.act_value = self._action(run, "&Value split now…", lambda: control.value_split_now(),
                                      tip="Value a split this finished run did not value, into its report")

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
        view.addSeparator()
        self.act_dataset_summary = self._action(view, "&Dataset summary…", self.show_dataset_summary,
                                                tip="Usable samples per split and the rows left out, with reasons")

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
            opener = self.controller.open_dataset if item.kind == "dataset" else self.controller.open_report
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
        self.activity_label = QLabel()
        self.activity_label.setObjectName("activity")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(260)
        self.progress.setMinimumWidth(160)
        self.progress.setTextVisible(True)
        policy = self.progress.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # showing it must not change the status bar's height: that would
        self.progress.setSizePolicy(policy)  # relayout (and redraw) every pane
        self.progress.hide()
        self.remaining_label = QLabel()
        self.dataset_label = QLabel()
        self.dataset_label.setToolTip("The dataset on show; click for its summary (rows left out and why)")
        self.dataset_label.linkActivated.connect(lambda _: self.show_dataset_summary())
        bar.addWidget(self.activity_label, 1)
        bar.addPermanentWidget(self.dataset_label)
        bar.addPermanentWidget(self.device_label)
        bar.addPermanentWidget(self.progress)
        bar.addPermanentWidget(self.remaining_label)
        bar.addPermanentWidget(self.state_label)

    def _show_progress(self, progress) -> None:
        if self.controller.activity() is not None:
            return
        total = max(progress.total_steps, 1)
        self.progress.setRange(0, total)
        self.progress.setValue(min(progress.done_steps, total))
        epochs = self.session.total_epochs
        self.progress.setFormat(f"epoch {progress.epoch + 1}/{epochs} · %p%" if epochs else "%p%")
        self.progress.show()
        self.remaining_label.setText(f"{format_seconds(progress.remaining_s)} left")

    def _show_activity(self, activity) -> None:
        """Something slow is going on (or has ended): a busy or counting bar, and what it is."""
        if activity is None:
            self.activity_label.clear()
            if not self.controller.training:
                self.progress.hide()
            return
        self.activity_label.setText(activity.text)
        self.activity_label.setToolTip(activity.text)
        if activity.total:
            self.progress.setRange(0, activity.total)
            self.progress.setValue(activity.done)
            self.progress.setFormat("%v/%m")
        else:
            self.progress.setRange(0, 0)  # busy: Qt animates it
        self.progress.show()

    def _controller_changed(self) -> None:
        control = self.controller
        following = control.following
        self.training.set_can_train(not following, "A live report is shown: training is off while following it"
                                    if following else "")
        self.training.set_state(control.phase if control.mode == Mode.TRAINING else RunState.IDLE)
        self.act_start.setEnabled(control.can("start"))
        self.act_resume.setEnabled(control.can("resume"))
        self.act_pause.setEnabled(control.can("pause"))
        self.act_stop.setEnabled(control.can("stop"))
        self.act_export.setEnabled(control.can("export"))
        self.act_value.setEnabled(control.can("value"))
        for action in (self.act_open_dataset, self.act_open_report, self.act_follow, self.act_import):
            action.setEnabled(control.can("open"))
        text, key = control.status()
        self.state_label.setText(text)
        if self.theme is not None:
            self.state_label.setStyleSheet(f"color: {self.theme.state_color(key).name()}")
        self.device_label.setText(self.session.device or "")
        if control.phase not in (RunState.RUNNING, RunState.PAUSED) or control.mode != Mode.TRAINING:
            self.remaining_label.clear()
        if not control.training and control.activity() is None:
            self.progress.hide()

    # -- wiring -----------------------------------------------------------------------------------
    def _connect(self) -> None:
        session, control = self.session, self.controller
        session.run_state_changed.connect(lambda _: self._controller_changed())
        session.progress_changed.connect(self._show_progress)
        session.dataset_changed.connect(self._update_title)
        session.dataset_changed.connect(self._update_dataset_label)
        control.changed.connect(self._controller_changed)
        control.activity_changed.connect(self._show_activity)
        control.dataset_opened.connect(self._dataset_opened)
        control.config_shown.connect(lambda _: self.banner.hide())
        control.demo_creating.connect(
            lambda folder: self.banner.note(f"Creating the demo data in {folder} (a few seconds the first time)…"))
        control.notice.connect(self.statusBar().showMessage)
        control.run_ended.connect(lambda _: self.progress.hide())
        control.runs_compared.connect(self.show_comparison)
        control.experiment_read.connect(self.show_experiment)
        self.compare.browser_filter_requested.connect(self.browser.set_sample_filter)
        self.compare.epoch_requested.connect(self.browser.set_epoch)
        self.training.start_requested.connect(self.start_training)
        self.training.resume_requested.connect(lambda: self.resume_training())

    def _update_title(self) -> None:
        dataset = self.session.dataset
        self.setWindowTitle(f"ModaLens — {dataset.root.name or dataset.root}" if dataset is not None else "ModaLens")

    def _update_dataset_label(self) -> None:
        dataset = self.session.dataset
        self.dataset_label.setText(f'<a href="summary">{dataset.summary_line()}</a>' if dataset is not None else "")
        self.act_dataset_summary.setEnabled(dataset is not None)

    def show_dataset_summary(self) -> None:
        """A dialog with the dataset's summary: usable samples per split, rows left out by kind of problem."""
        dataset = self.session.dataset
        if dataset is None:
            return
        if self.summary_dialog is not None:
            self.summary_dialog.close()
        self.summary_dialog = DatasetSummaryDialog(dataset.summary_text(), self)
        if offscreen():
            self.summary_dialog.show()
        else:
            self.summary_dialog.exec()

    def _dataset_opened(self, manifest) -> None:
        self.training.data_folder.setText(str(manifest.root))
        head = (f"<b>{len(manifest)} samples</b> of <b>{Path(manifest.root).name}</b> "
                f"({', '.join(manifest.samples.modalities)}; {manifest.samples.num_classes} classes)")
        left_out = len({e.row for e in manifest.excluded})
        if left_out:
            head += f"; {left_out} row{'' if left_out == 1 else 's'} left out (View → Dataset summary)"
        last_run = self.controller.last_run(Path(manifest.root))
        if last_run is None:
            self.banner.offer(f"{head}. Nothing is trained yet: train a model to see how much each modality "
                              "contributes to each sample.")
        else:
            self.banner.offer(f"{head}. Your last run is <b>{last_run.parent.name}</b>: open it to see its results, "
                              "or train a new model.", last_run)

    def open_last_run(self) -> bool:
        """Open the report the banner offers (the newest run in the runs folder)."""
        last_run = self.banner.last_run
        if last_run is None or not self.controller.open_report(last_run):
            return False
        self.banner.hide()
        return True

    # -- training (the pane's settings go to the controller) ----------------------------------------
    def start_training(self) -> bool:
        """Start a run with the Training pane's settings; False (with a message) when it cannot start."""
        started = self.controller.start_training(self.training.config, self.training.runs_dir())
        if started:
            self.banner.hide()
        return started

    def resume_training(self, checkpoint: str | Path | None = None, epochs: int | None = None) -> bool:
        """Continue a run from a checkpoint, to ``epochs`` epochs in all (default: the run's own target; for a
        run that reached it, the Training pane's epochs or one more epoch), on the pane's device."""
        return self.controller.resume_training(checkpoint, epochs, self.training.epochs.value(),
                                               self.training.device.currentText())

    # -- comparing runs ----------------------------------------------------------------------------
    def show_comparison(self, result) -> None:
        """Show a comparison of two runs in the Compare pane, brought to the front."""
        self.compare.show_result(result)
        self.docks["compare"].show()
        self.docks["compare"].raise_()

    def show_experiment(self, runs) -> ExperimentTable:
        """The table of an experiment's runs (a window of its own); two of them are compared from it."""
        if self.experiment_table is not None:
            self.experiment_table.close()
        table = ExperimentTable(runs, self)
        table.compare_requested.connect(lambda a, b, rule: self.controller.compare_runs(a, b, rule=rule))
        table.show()
        self.experiment_table = table
        return table

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
        app = QApplication.instance()
        assert isinstance(app, QApplication)  # a window needs a QApplication
        apply_theme(app, self.theme, (self.banner, self.training.start_button))
        self.settings.palette = name
        for action in self.palette_actions.actions():
            action.setChecked(action.data() == name)
        for view in self.views.values():
            view.theme_changed(theme)
        if hasattr(self, "act_start"):
            self._controller_changed()

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
        if self.controller.training:
            if self.prompter.close_while_training(self) != "stop":
                event.ignore()
                return
            self.statusBar().showMessage("Stopping the run and saving it…")
            QApplication.processEvents()
        self.shutdown()
        event.accept()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the run (saving it), the live follow, media and background threads; save the layout."""
        self.save_layout()
        self.controller.shutdown()
        for view in self.views.values():
            view.shutdown()
        self.settings.sync()
