"""File → Open experiment…: the runs of an experiment folder (``modalens experiment run``) as a table, from
which any two are compared (A → B) in the Compare view.

:func:`read_experiment` reads the folder through :mod:`core.experiments` (the stored spec, its cells, each
run's figures at the table's epoch) in a background task; :class:`ExperimentTable` only shows the rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.experiments import expand, read_outcome, run_figures, stored_spec
from core.report import ReportError
from core.run_files import REPORT_NAME, RunState

COLUMNS = ("run", "dataset", "strategy", "settings", "seed", "state", "test acc", "macro-F1", "φ gap")


@dataclass(frozen=True)
class ExperimentRun:
    """One run of the grid: where it is, how it ended, its figures at the table's epoch (NaN if none)."""

    name: str
    dataset: str
    strategy: str
    settings: str
    seed: int
    run_dir: Path
    state: str
    """finished, failed, unfinished or not run."""
    note: str
    test_acc: float
    test_f1: float
    phi_gap: float


@dataclass(frozen=True)
class ExperimentRuns:
    folder: Path
    name: str
    baseline: str
    epoch_rule: str
    """The epoch each run is read at ("best" or "last"), as the experiment's table reads it."""
    runs: list[ExperimentRun]


def read_experiment(exp: str | Path) -> ExperimentRuns:
    """Every run of the experiment in ``exp`` with its state and figures (ConfigError: not an experiment)."""
    exp = Path(exp)
    spec = stored_spec(exp)
    rows = []
    for cell in expand(spec, exp):
        values: dict[str, float] = {}
        note = ""
        try:
            values = run_figures(cell.run_dir, spec.table.epoch, spec.table.phi_split).values
            state: str = RunState.FINISHED
        except ReportError as exc:
            outcome = read_outcome(cell.run_dir)
            if outcome is not None and outcome.state == RunState.FAILED:
                state, note = RunState.FAILED, outcome.error
            elif not (cell.run_dir / REPORT_NAME).is_file():
                state = "not run"
            else:
                state, note = "unfinished", str(exc)
        rows.append(
            ExperimentRun(
                name=cell.name,
                dataset=cell.dataset,
                strategy=cell.strategy,
                settings=cell.group[2],
                seed=cell.seed,
                run_dir=cell.run_dir,
                state=state,
                note=note,
                test_acc=values.get("test_acc", math.nan),
                test_f1=values.get("test_f1", math.nan),
                phi_gap=values.get("phi_gap", math.nan),
            )
        )
    return ExperimentRuns(exp, spec.name, spec.baseline, spec.table.epoch, rows)


def _number(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3f}"


class _Item(QTableWidgetItem):
    """A cell that sorts by its number when it has one."""

    def __init__(self, text: str, key: float | str) -> None:
        super().__init__(text)
        self.key = key
        self.setFlags(self.flags() & ~Qt.ItemFlag.ItemIsEditable)

    def __lt__(self, other: QTableWidgetItem) -> bool:
        key = getattr(other, "key", other.text())
        if isinstance(self.key, float) and isinstance(key, float):
            return (math.inf if math.isnan(self.key) else self.key) < (math.inf if math.isnan(key) else key)
        return str(self.key) < str(key)


class ExperimentTable(QDialog):
    """The experiment's runs; select two finished runs and press Compare. A is the baseline strategy's run
    (else the upper row), B the other; Swap exchanges them. ``compare_requested(run A, run B, epoch rule)``."""

    compare_requested = Signal(object, object, str)

    def __init__(self, runs: ExperimentRuns, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runs = runs
        self.setWindowTitle(f"Experiment {runs.name} — {runs.folder}")
        self.table = QTableWidget(len(runs.runs), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        for row, run in enumerate(runs.runs):
            cells = [
                _Item(run.name, run.name),
                _Item(run.dataset, run.dataset),
                _Item(run.strategy, run.strategy),
                _Item(run.settings or "–", run.settings),
                _Item(str(run.seed), float(run.seed)),
                _Item(run.state, run.state),
                _Item(_number(run.test_acc), run.test_acc),
                _Item(_number(run.test_f1), run.test_f1),
                _Item(_number(run.phi_gap), run.phi_gap),
            ]
            cells[0].setData(Qt.ItemDataRole.UserRole, row)
            if run.note:
                cells[5].setToolTip(run.note)
            for column, item in enumerate(cells):
                if column >= 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(row, column, item)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)  # the experiment's order
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)

        self.pair_label = QLabel()
        self.swap_button = QPushButton("Swap A ↔ B")
        self.compare_button = QPushButton("Compare A → B")
        self.compare_button.setObjectName("primaryButton")
        self.compare_button.setToolTip("What B fixed (wrong in A, right in B) and broke, sample by sample")
        self.swap_button.clicked.connect(self._swap)
        self.compare_button.clicked.connect(self.compare)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        buttons = QHBoxLayout()
        buttons.addWidget(self.pair_label, 1)
        buttons.addWidget(self.swap_button)
        buttons.addWidget(self.compare_button)
        finished = sum(run.state == RunState.FINISHED for run in runs.runs)
        head = QLabel(
            f"{len(runs.runs)} runs, {finished} finished; baseline <b>{runs.baseline}</b>. Select two finished "
            "runs to compare them sample by sample."
        )
        head.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(900, 420)
        self._pair: tuple[ExperimentRun, ExperimentRun] | None = None
        self._selection_changed()

    # -- public ------------------------------------------------------------------------------
    def run_names(self) -> list[str]:
        """The runs listed, in the experiment's order."""
        return [run.name for run in self.runs.runs]

    def choose(self, name_a: str, name_b: str) -> None:
        """Select the runs named ``name_a`` and ``name_b`` (A and B as the rule above makes them)."""
        names = self.run_names()
        for name in (name_a, name_b):
            if name not in names:
                raise ValueError(f"no run {name!r} in experiment {self.runs.name} (runs: {', '.join(names)})")
        self.table.clearSelection()
        for view_row in range(self.table.rowCount()):
            if self._run_at(view_row).name in (name_a, name_b):
                self.table.selectRow(view_row)

    def pair(self) -> tuple[ExperimentRun, ExperimentRun] | None:
        """(A, B) as they would be compared now, None unless two finished runs are selected."""
        return self._pair

    def compare(self) -> bool:
        if self._pair is None:
            return False
        a, b = self._pair
        self.compare_requested.emit(a.run_dir, b.run_dir, self.runs.epoch_rule)
        return True

    # -- selection ---------------------------------------------------------------------------
    def _run_at(self, view_row: int) -> ExperimentRun:
        item = self.table.item(view_row, 0)
        assert item is not None  # every row of the table has its cells
        return self.runs.runs[int(item.data(Qt.ItemDataRole.UserRole))]

    def _selection_changed(self) -> None:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        chosen = [self._run_at(row) for row in rows]
        self._pair = None
        if len(chosen) == 2 and all(run.state == RunState.FINISHED for run in chosen):
            a, b = chosen
            if b.strategy == self.runs.baseline and a.strategy != self.runs.baseline:
                a, b = b, a
            self._pair = (a, b)
        self._show_pair(len(chosen), any(run.state != RunState.FINISHED for run in chosen))

    def _swap(self) -> None:
        if self._pair is not None:
            self._pair = (self._pair[1], self._pair[0])
            self._show_pair(2, False)

    def _show_pair(self, chosen: int, unfinished: bool) -> None:
        if self._pair is not None:
            self.pair_label.setText(f"A: <b>{self._pair[0].name}</b> → B: <b>{self._pair[1].name}</b>")
        elif unfinished:
            self.pair_label.setText("Only finished runs can be compared.")
        else:
            self.pair_label.setText(f"Select two runs ({chosen} selected)")
        self.compare_button.setEnabled(self._pair is not None)
        self.swap_button.setEnabled(self._pair is not None)
