"""The targeted re-sampling pane: ask the next epochs to train on extra single-modality copies of samples.

"Re-sample modality m ×k for n epochs" applies to the selected samples or to every sample the browser's
filter shows (training samples only: copies of validation or test samples would leak them into
training). Two presets pick the modality for the user: the modality with the lowest φ of each sample
in the latest valuation, or the modality with the lowest mean φ over the dataset. Requests are listed
with their state and can be cancelled; the engine records them in the run's plan and report.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.prompts import Prompter
from app.runner import RequestRow
from app.session import Session
from app.state.samples import SampleSet
from app.style import modality_color
from app.views.base import LEFT, View, ViewContext
from app.views.ports import ViewController
from core.text import plural

TARGETS = ("selection", "filter")
_COLUMNS = ("#", "modality", "copies", "samples", "epochs", "state")


def training_only(session: Session, indices: np.ndarray) -> np.ndarray:
    """The training samples among ``indices`` (sorted, unique)."""
    if session.dataset is None:
        return np.zeros(0, np.int64)
    indices = np.unique(np.asarray(indices, np.int64))
    return indices[session.dataset.splits[indices] == "train"]


def lowest_phi_modality(session: Session, indices: np.ndarray) -> dict[int, np.ndarray]:
    """Modality position → the samples among ``indices`` whose latest training φ is lowest for it.

    Samples without a value in the latest training valuation are left out.
    """
    phi = session.phi_columns("train")[indices]
    valued = ~np.isnan(phi).any(axis=1)
    weakest = np.argmin(np.where(np.isnan(phi), np.inf, phi), axis=1)
    return {int(m): indices[valued & (weakest == m)] for m in np.unique(weakest[valued])}


def weakest_on_average(session: Session) -> int:
    """Position of the modality with the lowest mean φ in the latest training valuation."""
    latest = session.latest("train")
    if latest is None:
        raise ValueError("no valuation yet: train at least one epoch first")
    return int(np.argmin(latest.mean_phi))


class ResamplingPane(View, QWidget):
    """Make, list and cancel targeted re-sampling requests."""

    key = "resampling"
    title = "Re-sampling"
    area = LEFT

    @classmethod
    def build(cls, context: ViewContext) -> ResamplingPane:
        return cls(context.session, context.controller, context.prompter)

    def __init__(
        self,
        session: Session,
        controller: ViewController,
        prompter: Prompter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.prompter = prompter or Prompter()
        self.controller = controller

        self.on_selection = QRadioButton()
        self.on_filter = QRadioButton()
        self.on_selection.setChecked(True)
        targets = QButtonGroup(self)
        targets.addButton(self.on_selection)
        targets.addButton(self.on_filter)
        self.modality = QComboBox()
        self.modality.setObjectName("resampleModality")
        self.copies = QSpinBox()
        self.copies.setRange(1, 100)
        self.copies.setPrefix("×")
        self.copies.setToolTip("Extra copies of each sample per epoch, each keeping only the chosen modality")
        self.epochs = QSpinBox()
        self.epochs.setRange(0, 10_000)
        self.epochs.setValue(1)
        self.epochs.setSpecialValueText("until cancelled")
        self.epochs.setSuffix(" epoch(s)")
        self.epochs.setToolTip("For how many epochs, from the next one (0: until cancelled)")
        add = QPushButton("Re-sample")
        add.setToolTip("Re-sample the chosen modality of the target samples from the next epoch")
        add.clicked.connect(lambda: self._run(lambda: self.request(self.modality.currentText())))
        low = QPushButton("Each sample's lowest-φ modality")
        low.setToolTip("Per sample, re-sample the modality with the lowest Shapley value in the latest valuation")
        low.clicked.connect(lambda: self._run(self.request_low_contribution))
        weak = QPushButton("Weakest modality on average")
        weak.setToolTip("Re-sample the modality with the lowest mean Shapley value over the dataset")
        weak.clicked.connect(lambda: self._run(self.request_weakest_on_average))

        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setObjectName("requestsTable")
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.cancel_button = QPushButton("Cancel request")
        self.cancel_button.clicked.connect(self._cancel_selected)
        self.table.itemSelectionChanged.connect(self._update_cancel)
        self.note = QLabel("Requests start at the next epoch of the run (or of the next run started or resumed). "
                           "Only training samples are re-sampled.")
        self.note.setWordWrap(True)

        target_box = QGroupBox("Samples")
        target_layout = QVBoxLayout(target_box)
        target_layout.addWidget(self.on_selection)
        target_layout.addWidget(self.on_filter)
        what_box = QGroupBox("Request")
        form = QFormLayout(what_box)
        form.addRow("Modality", self.modality)
        form.addRow("Copies", self.copies)
        form.addRow("For", self.epochs)
        form.addRow(add)
        presets = QVBoxLayout()
        presets.addWidget(low)
        presets.addWidget(weak)
        form.addRow(QLabel("One click:"), presets)
        list_box = QGroupBox("Requests")
        list_layout = QVBoxLayout(list_box)
        list_layout.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.cancel_button)
        list_layout.addLayout(row)
        content = QWidget()
        layout = QVBoxLayout(content)
        layout.addWidget(target_box)
        layout.addWidget(what_box)
        layout.addWidget(list_box, 1)
        layout.addWidget(self.note)
        scroll = QScrollArea()  # on a small screen the pane scrolls instead of holding the window's height
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        session.dataset_changed.connect(self._dataset_changed)
        session.selection_changed.connect(self._update_targets)
        session.resampling_changed.connect(self.refresh_requests)
        session.run_state_changed.connect(self.refresh_requests)
        controller.requests_changed.connect(self.refresh_requests)
        self._dataset_changed()

    # -- requests --------------------------------------------------------------------------------
    def target_indices(self) -> np.ndarray:
        """The training samples the next request applies to (selection or current filter)."""
        chosen = self.session.selection if self.on_selection.isChecked() else self.session.filtered
        return training_only(self.session, chosen)

    def set_target(self, target: str) -> None:
        if target not in TARGETS:
            raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
        (self.on_selection if target == "selection" else self.on_filter).setChecked(True)

    def _epochs(self) -> int | None:
        return self.epochs.value() or None

    def request(self, modality: str) -> int:
        """Re-sample ``modality`` of the target samples; returns the request id."""
        samples = self._require_targets()
        return self.controller.add_request(samples, modality, self.copies.value(), self._epochs())

    def request_low_contribution(self) -> list[int]:
        """One request per modality: each target sample re-sampled in its own lowest-φ modality."""
        samples = self._require_targets()
        if self.session.latest("train") is None:
            raise ValueError("no valuation yet: train at least one epoch first")
        groups = lowest_phi_modality(self.session, samples)
        if not groups:
            raise ValueError("none of the target samples has a Shapley value in the latest valuation")
        modalities = self._dataset().modalities
        return [
            self.controller.add_request(group, modalities[m], self.copies.value(), self._epochs())
            for m, group in sorted(groups.items())
            if len(group)
        ]

    def request_weakest_on_average(self) -> int:
        """Re-sample the target samples in the modality with the lowest mean φ over the dataset."""
        samples = self._require_targets()
        modality = self._dataset().modalities[weakest_on_average(self.session)]
        return self.controller.add_request(samples, modality, self.copies.value(), self._epochs())

    def cancel(self, request_id: int) -> None:
        self.controller.cancel_request(request_id)

    def _dataset(self) -> SampleSet:
        if self.session.dataset is None:
            raise ValueError("open a dataset first")
        return self.session.dataset

    def _require_targets(self) -> np.ndarray:
        self._dataset()
        samples = self.target_indices()
        if len(samples) == 0:
            what = "selected samples" if self.on_selection.isChecked() else "samples the filter shows"
            raise ValueError(f"no training sample among the {what}")
        return samples

    def _run(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (ValueError, KeyError) as exc:
            self.prompter.warning(self, "Re-sampling", str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))

    # -- display ---------------------------------------------------------------------------------
    def _dataset_changed(self) -> None:
        self.modality.clear()
        modalities = self.session.dataset.modalities if self.session.dataset is not None else []
        for name in modalities:
            pixmap = QPixmap(12, 12)
            pixmap.fill(modality_color(name, modalities))
            self.modality.addItem(QIcon(pixmap), name)
        self._update_targets()
        self.refresh_requests()

    def _update_targets(self) -> None:
        selected = len(training_only(self.session, self.session.selection))
        self.on_selection.setText(f"Selected samples ({selected} training)")
        self.on_filter.setText("Samples shown by the browser's filter")

    def refresh_requests(self, *_args) -> None:
        rows = self.controller.request_rows()
        self.table.setRowCount(len(rows))
        modalities = self.session.dataset.modalities if self.session.dataset is not None else []
        for r, row in enumerate(rows):
            for c, text in enumerate(_cells(row)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, row.id)
                if c == 1 and row.modality in modalities:
                    item.setForeground(modality_color(row.modality, modalities))
                self.table.setItem(r, c, item)
        self._update_cancel()

    def _selected_ids(self) -> list[int]:
        rows = {index.row() for index in self.table.selectionModel().selectedRows()}
        return [self._cell(r, 0).data(Qt.ItemDataRole.UserRole) for r in sorted(rows)]

    def _update_cancel(self) -> None:
        states = {self._cell(i.row(), 5).text() for i in self.table.selectionModel().selectedRows()}
        self.cancel_button.setEnabled(bool(states & {"pending", "scheduled", "active"}))

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.table.item(row, column)
        assert item is not None  # refresh_requests fills every cell of every row
        return item

    def _cancel_selected(self) -> None:
        for request_id in self._selected_ids():
            self._run(partial(self.cancel, request_id))


def _cells(row: RequestRow) -> list[str]:
    if row.start_epoch is None:
        span = "next run" + (f", {plural(row.epochs, 'epoch')}" if row.epochs else ", until cancelled")
    elif row.epochs is None:
        span = f"from epoch {row.start_epoch + 1}"
    else:
        last = row.start_epoch + row.epochs
        span = f"epoch {row.start_epoch + 1}" if row.epochs == 1 else f"epochs {row.start_epoch + 1}–{last}"
    return [str(row.id) if row.id > 0 else "–", row.modality, f"×{row.copies}", str(row.samples), span, row.status]
