"""The sample browser: a sortable, filterable table of every sample, in step with the session's selection."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.session import Session
from app.views.epoch_chooser import EpochChooser, epoch_label
from app.views.filters import FilterBar
from app.views.lazy import BURST_MS, RefreshWhenVisible
from app.views.queries import epoch_values, tie_share
from app.views.table_model import SampleTable, SampleTableModel
from app.views.value_fn_chooser import ValueFnChooser
from core.run_files import RunState
from core.valuation import pair_interactions

_Flag = QItemSelectionModel.SelectionFlag


def _runs(rows: np.ndarray) -> list[tuple[int, int]]:
    """Sorted row numbers as (first, last) runs of consecutive rows."""
    if len(rows) == 0:
        return []
    breaks = np.flatnonzero(np.diff(rows) != 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(rows) - 1]])
    return list(zip(rows[starts].tolist(), rows[ends].tolist(), strict=True))


def epoch_interaction(session: Session, epoch: int | None, pairs: int) -> np.ndarray:
    """Per dataset row the Shapley interaction of each modality pair at ``epoch`` (all splits), from the
    coalition values as shown; NaN where not valued or valued by Monte-Carlo (no coalition values)."""
    n = len(session.dataset) if session.dataset is not None else 0
    out = np.full((n, pairs), np.nan, np.float32)
    if epoch is None or not pairs:
        return out
    for by_epoch in session.valuations.values():
        result = by_epoch.get(epoch)
        if result is not None and len(result.sample_index) and result.coalition_values.shape[1]:
            out[result.sample_index] = pair_interactions(result.coalition_values)
    return out


class SampleBrowser(QWidget):
    """Table of every sample (id, label, split, prediction, φ per modality, pair interactions, ...) with filters.

    Selecting rows selects those samples in the session; the current row becomes the session's current
    sample. The φ columns show the epoch chosen in the epoch box (latest by default) and update when a
    new valuation arrives, keeping the selection.
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.model = SampleTableModel(self)
        self.filters = FilterBar()
        self.epoch_chooser = EpochChooser(session)
        self.value_fn_chooser = ValueFnChooser(session)
        self.count_label = QLabel()

        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        vertical = self.view.verticalHeader()
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.view.horizontalHeader()
        header.setDefaultSectionSize(92)
        header.setStretchLastSection(True)
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)

        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(QLabel("φ of"))
        bar.addWidget(self.epoch_chooser)
        bar.addWidget(QLabel("under"))
        bar.addWidget(self.value_fn_chooser)
        bar.addStretch(1)
        bar.addWidget(self.count_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.filters)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)

        self._pushing = False  # True while this view updates the session (ignore the echo)
        self._restoring = False  # True while the view's selection is rebuilt from the session
        self._dataset_stale = True
        self._values_stale = True
        self._shown_epoch: int | None = None
        self._ties: float | None = None
        self._lazy = RefreshWhenVisible(self, self._refresh)

        self.model.modelReset.connect(self._restore_selection)
        self.view.selectionModel().selectionChanged.connect(self._push_selection)
        self.view.selectionModel().currentChanged.connect(self._push_selection)
        self.filters.changed.connect(self._apply_filter)
        self.epoch_chooser.epoch_changed.connect(self._values_changed)
        session.dataset_changed.connect(self._dataset_changed)
        session.valuation_added.connect(self._valuation_added)
        session.resampling_changed.connect(self._values_changed)
        session.value_fn_changed.connect(self._values_changed)
        session.selection_changed.connect(self._selection_changed)
        session.current_changed.connect(self._current_changed)
        self._lazy.request()

    # -- public ------------------------------------------------------------------------------
    def filtered_indices(self) -> np.ndarray:
        """Dataset indices of the rows the table shows, in table order."""
        self._lazy.flush()
        return self.model.order.copy()

    def set_text_filter(self, text: str) -> None:
        """Keep samples whose id, label or a metadata value contains ``text`` (case-insensitive)."""
        self._lazy.flush()
        self.filters.set_text(text)

    def set_phi_filter(self, modality: str | int, lo: float | None, hi: float | None) -> None:
        """Keep samples with ``lo <= φ(modality) <= hi`` (None: no limit on that side)."""
        self._lazy.flush()
        self.filters.set_phi_range(self._modality_position(modality), lo, hi)

    def set_label_filter(self, label: int | None) -> None:
        self._lazy.flush()
        self.filters.set_label(label)

    def set_split_filter(self, split: str | None) -> None:
        self._lazy.flush()
        self.filters.set_split(split)

    def set_correct_filter(self, correct: str) -> None:
        """"any", "correct", "incorrect" or "not valued"."""
        self._lazy.flush()
        self.filters.set_correct(correct)

    def set_sample_filter(self, samples: np.ndarray | None, caption: str = "") -> None:
        """Keep only ``samples`` (dataset indices, such as those a comparison chose; None: no such limit)."""
        self._lazy.flush()
        self.filters.set_samples(samples, caption)

    def tie_share(self) -> float | None:
        """Fraction of the shown epoch's valued samples whose two largest φ are equal (None: none valued)."""
        self._lazy.flush()
        return self._ties

    def set_epoch(self, epoch: int | None) -> None:
        """Show the φ of ``epoch`` (None: the latest valuation)."""
        self.epoch_chooser.set_epoch(epoch)
        self._lazy.flush()

    # -- session → table ---------------------------------------------------------------------
    def _dataset_changed(self) -> None:
        self._dataset_stale = True
        self._lazy.request_later()

    def _valuation_added(self, _split: str, epoch: int) -> None:
        if self.epoch_chooser.epoch() in (None, epoch):
            self._values_stale = True  # a live run's split valuations of one epoch: one repaint
            self._lazy.request_later(BURST_MS if self.session.run_state == RunState.RUNNING else 0)

    def _values_changed(self) -> None:
        self._values_stale = True
        self._lazy.request_later()

    def _refresh(self) -> None:
        if self._dataset_stale:
            dataset = self.session.dataset
            self.model.set_table(SampleTable.from_dataset(dataset))
            splits = sorted(set(self.model.table.samples.splits.tolist()))
            modalities = list(dataset.modalities) if dataset is not None else []
            class_names = list(dataset.class_names) if dataset is not None else []
            self.filters.set_choices(class_names, splits, modalities)  # emits changed: applies the filter
            self._dataset_stale = False
            self._values_stale = True
        if self._values_stale:
            self._values_stale = False
            table = self.model.table
            values = epoch_values(self.session, self.epoch_chooser.epoch())
            self._shown_epoch = values.epoch
            self._ties = tie_share(values.phi)
            table.set_values(values, epoch_interaction(self.session, values.epoch, len(table.pairs)))
            table.set_copies(self.session.copies, self.session.user_copies)
            self.model.values_changed(self.filters.state().mask(table))  # one reset for values and filter
            self._filtered()

    def _apply_filter(self) -> None:
        if self._dataset_stale:
            return
        self.model.set_mask(self.filters.state().mask(self.model.table))
        self._filtered()

    def _filtered(self) -> None:
        self.session.set_filtered(self.model.order)
        epoch = self._shown_epoch
        where = f" · φ of {epoch_label(epoch)}" if epoch is not None else " · not valued yet"
        if epoch is not None and self._ties is not None:
            where += f" · ties {100 * self._ties:.0f} %"
        self.count_label.setText(f"{len(self.model.order):,} of {len(self.model.table):,} samples{where}")

    def _selection_changed(self) -> None:
        if not self._pushing:
            self._restore_selection()

    def _current_changed(self, index: int) -> None:
        if self._pushing or self._lazy.stale:
            return
        self._restoring = True
        try:
            self._set_view_current(index, scroll=True)
        finally:
            self._restoring = False

    def _restore_selection(self) -> None:
        """Select the rows of the session's selection and make its current sample the current row."""
        if self._lazy.stale:
            return
        self._restoring = True
        try:
            rows = np.sort(self.model.rows_of(self.session.selection))
            rows = rows[rows >= 0]
            last = self.model.columnCount() - 1
            selection = QItemSelection()
            for first, end in _runs(rows):
                selection.select(self.model.index(first, 0), self.model.index(end, last))
            self.view.selectionModel().select(selection, _Flag.ClearAndSelect | _Flag.Rows)
            self._set_view_current(self.session.current, scroll=False)
        finally:
            self._restoring = False

    def _set_view_current(self, index: int, scroll: bool) -> None:
        row = int(self.model.rows_of([index])[0]) if 0 <= index < len(self.model.table) else -1
        model_index = self.model.index(row, max(self.view.currentIndex().column(), 0)) if row >= 0 else None
        if model_index is None:
            self.view.selectionModel().setCurrentIndex(self.model.index(-1, -1), _Flag.NoUpdate)
            return
        self.view.selectionModel().setCurrentIndex(model_index, _Flag.NoUpdate)
        if scroll:
            self.view.scrollTo(model_index)

    # -- table → session ---------------------------------------------------------------------
    def _push_selection(self, *_args) -> None:
        if self._restoring:
            return
        selection = self.view.selectionModel().selection()
        ranges = [selection.at(i) for i in range(selection.count())]  # (iterable, but not to PySide6's stubs)
        parts = [np.arange(r.top(), r.bottom() + 1) for r in ranges]
        rows = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
        current = self.view.currentIndex()
        self._pushing = True
        try:
            self.session.select(self.model.order[rows])
            if current.isValid():
                self.session.set_current(self.model.dataset_index(current.row()))
        finally:
            self._pushing = False

    def _modality_position(self, modality: str | int) -> int:
        modalities = self.model.table.samples.modalities
        if isinstance(modality, int):
            return modality
        if modality not in modalities:
            raise ValueError(f"unknown modality {modality!r} (the dataset has {modalities})")
        return modalities.index(modality)
