"""The sample table: numpy columns of every sample and the Qt model showing a filtered, sorted view of them.

Rows are never Python objects: the model holds one permutation array of dataset indices (the rows that
pass the filter, in sort order) and formats a cell only when the view asks for it. Sorting is one
``numpy.argsort`` of the column's sort key over the visible rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from app.state.samples import SampleSet
from app.style import correctness_color, modality_color
from app.views.queries import EpochValues
from core.data import Samples
from core.valuation import modality_pairs, pair_labels

_Index = QModelIndex | QPersistentModelIndex
_NUMERIC = ("phi", "interaction", "copies", "user_copies")  # column kinds aligned right
# Roles as plain ints: the view asks for many roles per cell, most of which are answered with None at once.
_DISPLAY = int(Qt.ItemDataRole.DisplayRole.value)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole.value)
_DECORATION = int(Qt.ItemDataRole.DecorationRole.value)
_USER = int(Qt.ItemDataRole.UserRole.value)
_ROLES = frozenset((_DISPLAY, _ALIGN, _FOREGROUND, _DECORATION, _USER))
_RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
_LEFT = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
_NO_TEXT = np.zeros(0, str)
_EMPTY = Samples(ids=_NO_TEXT, rows=np.zeros(0, np.int64), labels=np.zeros(0, np.int64), class_names=[],
                 splits=_NO_TEXT, modalities=[], modality_kinds={}, media={}, metadata={})


class SampleTable:
    """Every sample of a dataset as numpy columns, plus the values of the epoch on show.

    ``samples`` is the dataset's table with ``str`` ids, splits and metadata (a :class:`SampleSet`'s, used
    as it is); ``phi`` and ``interaction`` (one column per modality pair,
    :func:`core.valuation.interaction.pair_labels` order) are NaN, ``prediction`` and ``correct`` are -1
    for samples without a valuation.
    """

    def __init__(self, samples: Samples) -> None:
        n = len(samples)
        self.samples = samples
        self.phi = np.full((n, len(samples.modalities)), np.nan, np.float32)
        self.pairs = pair_labels(samples.modalities)
        self.interaction = np.full((n, len(self.pairs)), np.nan, np.float32)
        self.prediction = np.full(n, -1, np.int64)
        self.correct = np.full(n, -1, np.int8)
        self.copies = np.zeros(n, np.int64)
        self.user_copies = np.zeros(n, np.int64)
        self._search: list[np.ndarray] | None = None

    @classmethod
    def from_dataset(cls, dataset: SampleSet | None) -> SampleTable:
        return cls(_EMPTY if dataset is None else dataset.samples)

    def __len__(self) -> int:
        return len(self.samples)

    def set_values(self, values: EpochValues, interaction: np.ndarray | None = None) -> None:
        """Show one epoch's values; ``interaction`` [N, pairs] (None: not known, shown empty)."""
        if values.phi.shape != self.phi.shape:
            raise ValueError(f"valuation columns have shape {values.phi.shape}, the table {self.phi.shape}")
        if interaction is None:
            interaction = np.full(self.interaction.shape, np.nan, np.float32)
        if interaction.shape != self.interaction.shape:
            raise ValueError(f"interaction columns have shape {interaction.shape}, the table {self.interaction.shape}")
        self.phi, self.prediction, self.correct = values.phi, values.prediction, values.correct
        self.interaction = interaction

    def set_copies(self, copies: np.ndarray, user_copies: np.ndarray) -> None:
        n = len(self)
        self.copies = copies if len(copies) == n else np.zeros(n, np.int64)
        self.user_copies = user_copies if len(user_copies) == n else np.zeros(n, np.int64)

    def text_match(self, text: str) -> np.ndarray:
        """Rows whose id, label name or any metadata value contains ``text`` (lower case)."""
        if self._search is None:
            self._search = [np.strings.lower(c) for c in (self.samples.ids, *self.samples.metadata.values())]
        keep = np.array([text in name.lower() for name in self.samples.class_names], bool)[self.samples.labels]
        for column in self._search:
            keep |= np.strings.find(column, text) >= 0
        return keep

    def dominant(self) -> np.ndarray:
        """Per row the modality position with the largest φ, ``len(modalities)`` on a tie, -1 if not valued."""
        return _extreme(self.phi, np.argmax, np.max)

    def weakest(self) -> np.ndarray:
        """Per row the modality position with the smallest φ, ``len(modalities)`` on a tie, -1 if not valued."""
        return _extreme(self.phi, np.argmin, np.min)


def _extreme(phi: np.ndarray, arg, reduce) -> np.ndarray:
    n, m = phi.shape
    if m == 0:
        return np.full(n, -1, np.int64)
    valued = ~np.isnan(phi).any(axis=1)
    filled = np.where(valued[:, None], phi, 0)
    best = reduce(filled, axis=1)
    ties = (filled == best[:, None]).sum(axis=1) > 1
    return np.where(valued, np.where(ties, m, arg(filled, axis=1)), -1).astype(np.int64)


def _ranks(values: np.ndarray) -> np.ndarray:
    """Sort key of a string column: each value's rank among the distinct values."""
    _, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(np.float64)


def _metadata_key(values: np.ndarray) -> np.ndarray:
    """Numeric order when every non-empty value is a number (empty last), else text order."""
    filled = values != ""
    try:
        numbers = values[filled].astype(np.float64)
    except ValueError:
        return _ranks(values)
    key = np.full(len(values), np.nan)
    key[filled] = numbers
    return key


@dataclass(frozen=True)
class Column:
    """One table column: ``kind`` says what it shows, ``arg`` which modality position or metadata name."""

    key: str
    title: str
    tooltip: str
    kind: str
    arg: int | str | None = None

    @property
    def position(self) -> int:
        """The modality position (a φ column) or pair position (an interaction column)."""
        assert isinstance(self.arg, int), f"column {self.key} has no position"
        return self.arg

    @property
    def meta_name(self) -> str:
        """The metadata name (a metadata column)."""
        assert isinstance(self.arg, str), f"column {self.key} has no metadata name"
        return self.arg


def _columns(table: SampleTable) -> list[Column]:
    columns = [
        Column("id", "id", "Sample id", "id"),
        Column("label", "label", "True label", "label"),
        Column("split", "split", "Dataset split", "split"),
        Column("prediction", "prediction", "The full model's prediction at the epoch on show", "prediction"),
        Column("correct", "correct", "Whether that prediction is right", "correct"),
    ]
    for position, modality in enumerate(table.samples.modalities):
        columns.append(Column(f"phi:{modality}", f"φ {modality}", f"Shapley value of {modality}", "phi", position))
    for position, (i, j) in enumerate(modality_pairs(len(table.samples.modalities))):
        a, b = table.samples.modalities[i], table.samples.modalities[j]
        tip = f"Shapley interaction of {a} and {b}: positive = synergy (worth more together), negative = redundancy"
        columns.append(Column(f"interaction:{a}×{b}", f"I {a}×{b}", tip, "interaction", position))
    columns += [
        Column("dominant", "dominant", "Modality with the largest φ (tie: several share it)", "dominant"),
        Column("low", "lowest", "Modality with the smallest φ: the low-contribution one (tie: several share it)", "low"),
        Column("copies", "copies", "Extra copies added by re-sampling for the next epoch", "copies"),
        Column("user_copies", "your copies", "Extra copies you requested for the next epoch", "user_copies"),
    ]
    for name in table.samples.metadata:
        columns.append(Column(f"meta:{name}", name, f"Metadata column {name!r}", "meta", name))
    return columns


class SampleTableModel(QAbstractTableModel):
    """Qt model over a :class:`SampleTable`: filtered by a boolean mask, sorted by one column.

    ``order`` holds the dataset index shown in each row. Every change resets the model (cheap: nothing
    per row is stored), so a view restores its selection from dataset indices afterwards.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.table = SampleTable.from_dataset(None)
        self.columns: list[Column] = _columns(self.table)
        self._mask = np.ones(0, bool)
        self._order = np.zeros(0, np.int64)
        self._position = np.zeros(0, np.int64)
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self._keys: dict[int, np.ndarray] = {}
        self._dominant = np.zeros(0, np.int64)
        self._weakest = np.zeros(0, np.int64)

    # -- content -----------------------------------------------------------------------------
    def set_table(self, table: SampleTable) -> None:
        """Show a new dataset: every row visible, sorted as before when the sort column still exists."""
        sort_key = self.columns[self._sort_column].key if 0 <= self._sort_column < len(self.columns) else None
        self.table = table
        self.columns = _columns(table)
        keys = [c.key for c in self.columns]
        self._sort_column = keys.index(sort_key) if sort_key in keys else -1
        self._mask = np.ones(len(table), bool)
        self._keys = {}  # sort keys belong to the old table
        self.values_changed()

    def values_changed(self, mask: np.ndarray | None = None) -> None:
        """The table's valuation or copies columns changed: recompute derived columns and re-sort (with
        the filter's new ``mask`` when given, in the same reset)."""
        self._keys = {i: k for i, k in self._keys.items() if self.columns[i].kind in ("id", "label", "split", "meta")}
        self._dominant = self.table.dominant()
        self._weakest = self.table.weakest()
        if mask is not None:
            self._check_mask(mask)
        self._rebuild()

    def set_mask(self, mask: np.ndarray) -> None:
        """Show only the rows where ``mask`` is true (kept in the current sort order)."""
        self._check_mask(mask)
        self._rebuild()

    def _check_mask(self, mask: np.ndarray) -> None:
        mask = np.asarray(mask, bool)
        if mask.shape != (len(self.table),):
            raise ValueError(f"filter mask has shape {mask.shape}, expected ({len(self.table)},)")
        self._mask = mask

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (-1: dataset order); samples without a value go last."""
        self._sort_column = column if 0 <= column < len(self.columns) else -1
        self._sort_order = order
        self._rebuild()

    @property
    def order(self) -> np.ndarray:
        """Dataset index of every row, top to bottom."""
        return self._order

    @property
    def sort_column(self) -> int:
        return self._sort_column

    def column_index(self, key: str) -> int:
        """Position of the column with ``key`` ("id", "phi:audio", "meta:speaker", ...)."""
        for position, column in enumerate(self.columns):
            if column.key == key:
                return position
        raise KeyError(f"no table column {key!r} (columns: {[c.key for c in self.columns]})")

    def dataset_index(self, row: int) -> int:
        return int(self._order[row])

    def rows_of(self, indices: ArrayLike) -> np.ndarray:
        """Row of each dataset index, -1 where it is filtered out."""
        return self._position[np.asarray(indices, np.int64)]

    def sort_key(self, column: int) -> np.ndarray:
        """Per dataset row the float key ``column`` sorts by (NaN: no value)."""
        if column not in self._keys:
            self._keys[column] = self._compute_key(self.columns[column])
        return self._keys[column]

    def _compute_key(self, column: Column) -> np.ndarray:
        t = self.table
        match column.kind:
            case "id":
                return _ranks(t.samples.ids)
            case "label":
                return _ranks(np.asarray(t.samples.class_names + [""], dtype=str))[t.samples.labels]
            case "split":
                return _ranks(t.samples.splits)
            case "prediction":
                names = _ranks(np.asarray(t.samples.class_names + [""], dtype=str))
                return np.where(t.prediction >= 0, names[t.prediction], np.nan)
            case "correct":
                return np.where(t.correct >= 0, t.correct, np.nan).astype(np.float64)
            case "phi":
                return t.phi[:, column.position].astype(np.float64)
            case "interaction":
                return t.interaction[:, column.position].astype(np.float64)
            case "dominant":
                return np.where(self._dominant >= 0, self._dominant, np.nan).astype(np.float64)
            case "low":
                return np.where(self._weakest >= 0, self._weakest, np.nan).astype(np.float64)
            case "copies":
                return t.copies.astype(np.float64)
            case "user_copies":
                return t.user_copies.astype(np.float64)
            case "meta":
                return _metadata_key(t.samples.metadata[column.meta_name])
        raise AssertionError(f"unknown column kind {column.kind}")

    def _rebuild(self) -> None:
        self.beginResetModel()
        visible = np.flatnonzero(self._mask)
        if self._sort_column >= 0:
            key = self.sort_key(self._sort_column)[visible]
            if self._sort_order == Qt.SortOrder.DescendingOrder:
                key = -key
            visible = visible[np.argsort(key, kind="stable")]
        self._order = visible
        self._position = np.full(len(self.table), -1, np.int64)
        self._position[visible] = np.arange(len(visible))
        self.endResetModel()

    # -- Qt model interface ------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt override)
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 (Qt override)
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            if role == Qt.ItemDataRole.DisplayRole:
                return self.columns[section].title
            if role == Qt.ItemDataRole.ToolTipRole:
                return self.columns[section].tooltip
            if role == Qt.ItemDataRole.DecorationRole and self.columns[section].kind == "phi":
                return modality_color(self.table.samples.modalities[self.columns[section].position], self.table.samples.modalities)
        elif orientation == Qt.Orientation.Vertical and role == Qt.ItemDataRole.DisplayRole:
            return str(section + 1)
        return None

    def data(self, index: _Index, role: int = _DISPLAY):
        role = int(role)
        if role not in _ROLES or not index.isValid():
            return None
        column = self.columns[index.column()]
        sample = int(self._order[index.row()])
        if role == _DISPLAY:
            return self.cell_text(column, sample)
        if role == _ALIGN:
            return _RIGHT if column.kind in _NUMERIC else _LEFT
        if role == _FOREGROUND:
            if column.kind == "correct" and self.table.correct[sample] >= 0:
                return correctness_color(bool(self.table.correct[sample]))
            return None
        if role == _DECORATION:
            if column.kind in ("dominant", "low"):
                position = self._modality_at(column, sample)
                if 0 <= position < len(self.table.samples.modalities):
                    return modality_color(self.table.samples.modalities[position], self.table.samples.modalities)
            return None
        return sample  # UserRole: the dataset index

    def multiData(self, index: _Index, roleDataSpan) -> None:  # noqa: N802, N803 (Qt override)
        """Every role a delegate asks for, in one call per cell: painting calls this instead of
        :meth:`data` once per role, which costs a crossing into Python each."""
        for role_data in roleDataSpan:  # (delegates reuse the span from cell to cell: clear what is unset)
            value = self.data(index, int(role_data.role()))
            if value is None:
                role_data.clearData()
            else:
                role_data.setData(value)

    def _modality_at(self, column: Column, sample: int) -> int:
        return int((self._dominant if column.kind == "dominant" else self._weakest)[sample])

    def cell_text(self, column: Column, sample: int) -> str:
        """What the cell of ``column`` shows for dataset index ``sample``."""
        t = self.table
        match column.kind:
            case "id":
                return str(t.samples.ids[sample])
            case "label":
                return t.samples.label_name(int(t.samples.labels[sample]))
            case "split":
                return str(t.samples.splits[sample])
            case "prediction":
                return t.samples.label_name(int(t.prediction[sample])) if t.prediction[sample] >= 0 else ""
            case "correct":
                return {1: "✓ right", 0: "✗ wrong"}.get(int(t.correct[sample]), "")
            case "phi" | "interaction":
                value = (t.phi if column.kind == "phi" else t.interaction)[sample, column.position]
                return "" if np.isnan(value) else f"{value:.3f}"
            case "dominant" | "low":
                position = self._modality_at(column, sample)
                if position < 0:
                    return ""
                return "tie" if position == len(t.samples.modalities) else t.samples.modalities[position]
            case "copies":
                return str(int(t.copies[sample]))
            case "user_copies":
                return str(int(t.user_copies[sample]))
            case "meta":
                return str(t.samples.metadata[column.meta_name][sample])
        raise AssertionError(f"unknown column kind {column.kind}")
