"""The training pane: data folder, strategy and its parameters, epochs, device, seed, and run controls."""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.views.base import LEFT, View, ViewContext
from app.widgets.params_form import FloatSpinBox, ParamsForm
from core.config import RunConfig
from core.run_files import ACTIVE, RunState
from core.strategies import STRATEGIES

DEVICES = ("auto", "cpu", "cuda", "mps")


def device_available(name: str) -> bool:
    if name == "cuda":
        return torch.cuda.is_available()
    if name == "mps":
        return bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return True


class _PathField(QWidget):
    """A line edit with a Browse… button that picks a folder, or a file when ``file_filter`` is given."""

    def __init__(self, caption: str, file_filter: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._filter = file_filter
        self.edit = QLineEdit()
        self.edit.setClearButtonEnabled(True)
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip(caption)
        browse.clicked.connect(self._browse)
        self._caption = caption
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit, 1)
        layout.addWidget(browse)

    def _browse(self) -> None:
        start = self.edit.text() or str(Path.home())
        if self._filter:
            chosen, _ = QFileDialog.getOpenFileName(self, self._caption, start, self._filter)
        else:
            chosen = QFileDialog.getExistingDirectory(self, self._caption, start)
        if chosen:
            self.edit.setText(chosen)

    def text(self) -> str:
        return self.edit.text().strip()

    def setText(self, text: str) -> None:  # noqa: N802 - Qt naming
        self.edit.setText(text)


class TrainingPanel(View, QWidget):
    """Builds a :class:`RunConfig` from its fields and asks the window to start, pause or stop a run."""

    key = "training"
    title = "Training"
    area = LEFT

    start_requested = Signal()
    pause_toggled = Signal()
    stop_requested = Signal()
    resume_requested = Signal()

    @classmethod
    def build(cls, context: ViewContext) -> TrainingPanel:
        panel = cls()
        panel.runs_folder.setText(str(context.settings.runs_dir))
        context.controller.config_shown.connect(panel.set_config)
        panel.pause_toggled.connect(context.controller.toggle_pause)
        panel.stop_requested.connect(context.controller.stop_training)
        return panel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._base = RunConfig()
        self._state = RunState.IDLE
        self._can_train = True

        self.data_folder = _PathField("Choose the dataset folder (it holds manifest.csv)")
        self.data_folder.edit.setPlaceholderText("folder holding manifest.csv")
        self.runs_folder = _PathField("Choose where runs are saved")
        self.init_encoders = _PathField("Choose a checkpoint whose encoders start the run", "Checkpoints (*.pt)")
        self.init_encoders.edit.setPlaceholderText("fresh encoders")
        self.init_encoders.setToolTip(
            "Start the encoders from another run's checkpoint, e.g. MCR from a uni-pretrain or ensemble run"
        )

        self.strategy = QComboBox()
        self.strategy.setObjectName("strategyCombo")
        for name in STRATEGIES.names():
            self.strategy.addItem(name)
            self.strategy.setItemData(self.strategy.count() - 1, STRATEGIES.get(name).summary, Qt.ItemDataRole.ToolTipRole)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("strategySummary")
        self.params = ParamsForm()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setObjectName("paramsProblem")
        self.problem.setStyleSheet("color: #c0392b;")
        reset = QPushButton("Defaults")
        reset.setToolTip("Put every parameter of this strategy back to its default")
        reset.clicked.connect(self.params.reset)

        self.epochs = QSpinBox()
        self.epochs.setRange(1, 100_000)
        self.batch_size = QSpinBox()
        self.batch_size.setRange(1, 1_000_000)
        self.lr = FloatSpinBox()
        self.lr.setMinimum(0.0)
        self.device = QComboBox()
        for name in DEVICES:
            self.device.addItem(name)
            if not device_available(name):
                model = self.device.model()
                assert isinstance(model, QStandardItemModel)  # a combo box's own model
                item = model.item(self.device.count() - 1)
                item.setEnabled(False)
                item.setToolTip(f"{name} is not available on this machine")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.tensorboard = QCheckBox("TensorBoard event files")
        self.tensorboard.setToolTip("Also write the run's metrics as TensorBoard event files (RUN/tensorboard)")

        for widget, tip in (
            (self.epochs, "Total number of epochs of the run"),
            (self.batch_size, "Samples per optimisation step"),
            (self.lr, "Learning rate of the optimiser"),
            (self.device, "auto picks CUDA, then Apple MPS, then the CPU"),
            (self.seed, "Random seed: the same seed repeats a CPU run exactly"),
        ):
            widget.setToolTip(tip)

        self.start_button = QPushButton("▶  Start training")
        self.start_button.setObjectName("primaryButton")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume from checkpoint…")
        self.start_button.clicked.connect(self.start_requested)
        self.pause_button.clicked.connect(self.pause_toggled)
        self.stop_button.clicked.connect(self.stop_requested)
        self.resume_button.clicked.connect(self.resume_requested)

        data_box = QGroupBox("Data")
        data_form = QFormLayout(data_box)
        data_form.addRow("Dataset", self.data_folder)
        data_form.addRow("Runs folder", self.runs_folder)

        strategy_box = QGroupBox("Strategy")
        strategy_layout = QVBoxLayout(strategy_box)
        top = QHBoxLayout()
        top.addWidget(self.strategy, 1)
        top.addWidget(reset)
        strategy_layout.addLayout(top)
        strategy_layout.addWidget(self.summary)
        strategy_layout.addWidget(self.params)
        strategy_layout.addWidget(self.problem)

        run_box = QGroupBox("Run")
        run_form = QFormLayout(run_box)
        run_form.addRow("Epochs", self.epochs)
        run_form.addRow("Batch size", self.batch_size)
        run_form.addRow("Learning rate", self.lr)
        run_form.addRow("Device", self.device)
        run_form.addRow("Seed", self.seed)
        run_form.addRow("Encoders from", self.init_encoders)
        run_form.addRow("", self.tensorboard)

        actions = QHBoxLayout()  # one row below the settings, never scrolled out of sight
        actions.setContentsMargins(9, 0, 9, 6)
        actions.addWidget(self.start_button, 1)
        actions.addWidget(self.pause_button)
        actions.addWidget(self.stop_button)

        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(data_box)
        layout.addWidget(strategy_box)
        layout.addWidget(run_box)
        layout.addWidget(self.resume_button)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll, 1)
        outer.addLayout(actions)

        self.strategy.currentTextChanged.connect(self._strategy_changed)
        self.params.changed.connect(self._check_params)
        self.set_config(self._base)
        self.set_state(RunState.IDLE)

    # -- config ----------------------------------------------------------------------------------
    def set_config(self, config: RunConfig) -> None:
        """Show ``config`` in the fields (keys the pane has no field for are kept as they are)."""
        self._base = copy.deepcopy(config)
        self.data_folder.setText(config.data.path)
        if config.strategy.name in STRATEGIES:
            self.strategy.blockSignals(True)
            self.strategy.setCurrentText(config.strategy.name)
            self.strategy.blockSignals(False)
            self._strategy_changed(config.strategy.name)
            try:
                self.params.set_values(config.strategy.params)
            except ValueError as exc:
                self.problem.setText(str(exc))
        self.epochs.setValue(config.optim.epochs)
        self.batch_size.setValue(config.optim.batch_size)
        self.lr.setValue(config.optim.lr)
        index = self.device.findText(config.runtime.device)
        self.device.setCurrentIndex(index if index >= 0 and device_available(config.runtime.device) else 0)
        self.seed.setValue(config.runtime.seed)
        self.tensorboard.setChecked(bool(config.runtime.tensorboard))
        self.init_encoders.setText(config.model.init_encoders_from)

    def config(self) -> RunConfig:
        """The run config the fields describe; raises ``ValueError`` saying which field is wrong."""
        if not self.data_folder.text():
            raise ValueError("choose a dataset folder first (Data → Dataset)")
        if not (Path(self.data_folder.text()) / "manifest.csv").is_file():
            raise ValueError(f"{self.data_folder.text()}: no manifest.csv in this folder")
        problem = self.params.problem()
        if problem:
            raise ValueError(problem)
        if self.init_encoders.text() and not Path(self.init_encoders.text()).is_file():
            raise ValueError(f"{self.init_encoders.text()}: no such checkpoint (Run → Encoders from)")
        config = copy.deepcopy(self._base)
        config.data.path = self.data_folder.text()
        config.strategy.name = self.strategy.currentText()
        config.strategy.params = self.params.values()
        config.optim.epochs = self.epochs.value()
        config.optim.batch_size = self.batch_size.value()
        config.optim.lr = self.lr.value()
        config.runtime.device = self.device.currentText()
        config.runtime.seed = self.seed.value()
        config.runtime.tensorboard = self.tensorboard.isChecked()
        config.model.init_encoders_from = self.init_encoders.text()
        return config.validate()  # the same domain checks as every command (ConfigError is a ValueError)

    def runs_dir(self) -> str:
        return self.runs_folder.text()

    def _strategy_changed(self, name: str) -> None:
        cls = STRATEGIES.get(name)
        self.summary.setText(cls.summary)
        self.params.set_strategy(cls)
        self._check_params()

    def _check_params(self) -> None:
        self.problem.setText(self.params.problem())
        self.problem.setVisible(bool(self.problem.text()))
        self._update_buttons()

    # -- state -------------------------------------------------------------------------------------
    def set_can_train(self, can_train: bool, reason: str = "") -> None:
        """Enable or disable training as a whole (e.g. when the window shows only a report)."""
        self._can_train = can_train
        self.start_button.setToolTip(reason)
        self._update_buttons()

    def set_state(self, state: RunState) -> None:
        self._state = state
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self._state in ACTIVE
        self.start_button.setEnabled(self._can_train and not busy and not self.problem.text())
        self.resume_button.setEnabled(self._can_train and not busy)
        self.pause_button.setEnabled(busy and self._state not in (RunState.STARTING, RunState.STOPPING))
        self.pause_button.setText("Resume" if self._state == RunState.PAUSED else "Pause")
        self.stop_button.setEnabled(busy)
        for widget in (self.data_folder, self.strategy, self.params, self.epochs, self.batch_size, self.lr,
                       self.device, self.seed, self.runs_folder, self.init_encoders):
            widget.setEnabled(not busy)
