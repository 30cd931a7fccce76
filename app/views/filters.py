"""Filtering the sample table: a filter description, its numpy mask, and the bar of filter controls."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QRegularExpression, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.views.table_model import SampleTable
from app.widgets.tooltip import with_tip
from core.valuation import pair_labels

CORRECTNESS = ("any", "correct", "incorrect", "not valued")
INTERACTION = ("any", "synergy", "redundancy")
"""Interaction kinds: synergy = some modality pair's interaction > 0, redundancy = some pair's < 0."""
NO_INTERACTION = 1e-6
"""Interactions within ± this of 0 count as none: coalition values are stored as float32, so a game with no
interaction reads back with rounding residues of about 1e-8."""
_INTERACTION_TIP = "Show samples with synergy (some pair's interaction > 0) or redundancy (some pair's < 0) only"
_NUMBER = QRegularExpression(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class SampleFilter:
    """Which samples to show. Empty text, None label/split and "any" correctness filter nothing.

    ``phi_ranges`` maps a modality position to an inclusive (lo, hi) range, either end None for no
    limit; samples never valued fail any φ range. ``interaction_ranges`` does the same for the modality
pairs' interactions (pair positions in ``table.pairs`` order), and ``interaction`` keeps samples with
synergy or redundancy (:data:`INTERACTION`); samples without an interaction (not valued, Monte-Carlo
values) fail both. ``samples`` (dataset indices, None for no limit) keeps
    only those samples: a set chosen elsewhere, such as the samples run B fixed in a comparison.
    """

    text: str = ""
    label: int | None = None
    split: str | None = None
    correct: str = "any"
    phi_ranges: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)
    samples: tuple[int, ...] | None = None
    interaction_ranges: dict[int, tuple[float | None, float | None]] = field(default_factory=dict)
    interaction: str = "any"

    def __post_init__(self) -> None:
        if self.correct not in CORRECTNESS:
            raise ValueError(f"correctness filter must be one of {CORRECTNESS}, got {self.correct!r}")
        if self.interaction not in INTERACTION:
            raise ValueError(f"interaction filter must be one of {INTERACTION}, got {self.interaction!r}")

    def mask(self, table: SampleTable) -> np.ndarray:
        """Boolean mask over the table's rows of the samples passing every condition."""
        keep = np.ones(len(table), bool)
        text = self.text.strip().lower()
        if text:
            keep &= table.text_match(text)
        if self.label is not None:
            keep &= table.samples.labels == self.label
        if self.split is not None:
            keep &= table.samples.splits == self.split
        if self.correct != "any":
            wanted = {"correct": 1, "incorrect": 0, "not valued": -1}[self.correct]
            keep &= table.correct == wanted
        for modality, bounds in self.phi_ranges.items():
            keep &= _within(table.phi[:, modality], *bounds)
        for pair, bounds in self.interaction_ranges.items():
            keep &= _within(table.interaction[:, pair], *bounds)
        if self.interaction != "any":
            sign = 1 if self.interaction == "synergy" else -1
            signed = sign * table.interaction > NO_INTERACTION
            keep &= signed.any(axis=1)
        if self.samples is not None:
            chosen = np.zeros(len(table), bool)
            rows = np.asarray(self.samples, np.int64)
            chosen[rows[(rows >= 0) & (rows < len(table))]] = True
            keep &= chosen
        return keep


def _within(column: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    """Rows of ``column`` inside the inclusive range (NaN never is)."""
    keep = ~np.isnan(column)
    if lo is not None:
        keep &= column >= lo
    if hi is not None:
        keep &= column <= hi
    return keep


def _bound(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _ranges(edits: list[tuple[QLineEdit, QLineEdit]]) -> dict[int, tuple[float | None, float | None]]:
    """The (min, max) of each pair of fields holding at least one bound, by position."""
    ranges = {}
    for position, (lo, hi) in enumerate(edits):
        bounds = (_bound(lo.text()), _bound(hi.text()))
        if bounds != (None, None):
            ranges[position] = bounds
    return ranges


def _bound_text(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


class FilterBar(QWidget):
    """Controls for a :class:`SampleFilter`; ``changed`` fires whenever the filter changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text_edit = QLineEdit(placeholderText="Search id, label, metadata…", clearButtonEnabled=True)
        self.label_combo = with_tip(QComboBox(), "Show one label only")
        self.split_combo = with_tip(QComboBox(), "Show one split only")
        self.correct_combo = with_tip(QComboBox(), "Show right or wrong predictions only")
        self.correct_combo.addItems(CORRECTNESS)
        clear = with_tip(QPushButton("Clear filters"), "Show every sample")
        clear.clicked.connect(self.clear)
        self._samples: tuple[int, ...] | None = None
        self.samples_label = QLabel()
        self.samples_label.setToolTip("Only the samples chosen in another view (Clear filters shows all)")
        self.samples_label.hide()

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.text_edit, 3)
        for caption, combo in (("Label", self.label_combo), ("Split", self.split_combo), ("Prediction", self.correct_combo)):
            top.addWidget(QLabel(caption))
            top.addWidget(combo, 1)
        top.addWidget(self.samples_label)
        top.addWidget(clear)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.addLayout(top)
        self._phi_box = QWidget()
        self._layout.addWidget(self._phi_box)
        self._phi_edits: list[tuple[QLineEdit, QLineEdit]] = []
        self._pair_edits: list[tuple[QLineEdit, QLineEdit]] = []
        self.interaction_combo = QComboBox()

        self.text_edit.textChanged.connect(self._emit)
        for combo in (self.label_combo, self.split_combo, self.correct_combo):
            combo.currentIndexChanged.connect(self._emit)
        self._quiet = False
        self.set_choices([], [], [])

    def set_choices(self, class_names: list[str], splits: list[str], modalities: list[str]) -> None:
        """Offer the labels, splits, φ ranges and pair-interaction filters of a dataset (resets the filter)."""
        self._quiet = True
        self.text_edit.clear()
        self.label_combo.clear()
        self.label_combo.addItem("all", None)
        for index, name in enumerate(class_names):
            self.label_combo.addItem(name, index)
        self.split_combo.clear()
        self.split_combo.addItem("all", None)
        for split in splits:
            self.split_combo.addItem(split, split)
        self.correct_combo.setCurrentIndex(0)
        self._set_samples(None, "")
        self._layout.removeWidget(self._phi_box)
        self._phi_box.deleteLater()
        self._phi_box = QWidget()
        rows = QVBoxLayout(self._phi_box)
        rows.setContentsMargins(0, 0, 0, 0)
        validator = QRegularExpressionValidator(_NUMBER, self._phi_box)
        row = QHBoxLayout()
        self._phi_edits = [self._range(row, validator, f"φ {m}", f"φ of {m}") for m in modalities]
        row.addStretch(1)
        rows.addLayout(row)
        pairs = pair_labels(modalities)
        row = QHBoxLayout()  # pair interactions on a line of their own: M(M−1)/2 of them
        self._pair_edits = [self._range(row, validator, f"I {p}", f"interaction of {p}") for p in pairs]
        self.interaction_combo = with_tip(QComboBox(), _INTERACTION_TIP)
        self.interaction_combo.addItems(INTERACTION)
        self.interaction_combo.currentIndexChanged.connect(self._emit)
        if pairs:
            row.addWidget(QLabel("Interaction"))
            row.addWidget(self.interaction_combo)
            row.addStretch(1)
            rows.addLayout(row)
        self._layout.addWidget(self._phi_box)
        self._quiet = False
        self.changed.emit()

    def _range(self, row: QHBoxLayout, validator: QRegularExpressionValidator, caption: str, what: str):
        """A "caption min – max" pair of number fields added to ``row``."""
        lo = with_tip(QLineEdit(placeholderText="min"), f"Smallest {what} to show (blank: no limit)")
        hi = with_tip(QLineEdit(placeholderText="max"), f"Largest {what} to show (blank: no limit)")
        for edit in (lo, hi):
            edit.setValidator(validator)
            edit.setMaximumWidth(70)
            edit.textChanged.connect(self._emit)
        for widget in (QLabel(caption), lo, QLabel("–"), hi):
            row.addWidget(widget)
        return lo, hi

    def state(self) -> SampleFilter:
        """The filter the controls describe."""
        return SampleFilter(
            text=self.text_edit.text(),
            label=self.label_combo.currentData(),
            split=self.split_combo.currentData(),
            correct=self.correct_combo.currentText() or "any",
            phi_ranges=_ranges(self._phi_edits),
            samples=self._samples,
            interaction_ranges=_ranges(self._pair_edits),
            interaction=self.interaction_combo.currentText() or "any",
        )

    # -- programmatic changes (each emits ``changed`` once) --------------------------------------
    def set_text(self, text: str) -> None:
        self.text_edit.setText(text)

    def set_label(self, label: int | None) -> None:
        self._choose(self.label_combo, label, "label")

    def set_split(self, split: str | None) -> None:
        self._choose(self.split_combo, split, "split")

    def set_correct(self, correct: str) -> None:
        if correct not in CORRECTNESS:
            raise ValueError(f"correctness filter must be one of {CORRECTNESS}, got {correct!r}")
        self.correct_combo.setCurrentText(correct)

    def set_phi_range(self, modality: int, lo: float | None, hi: float | None) -> None:
        if not 0 <= modality < len(self._phi_edits):
            raise ValueError(f"no modality at position {modality} (the dataset has {len(self._phi_edits)})")
        self._set_range(self._phi_edits[modality], lo, hi)

    def set_interaction_range(self, pair: int, lo: float | None, hi: float | None) -> None:
        """Limit the interaction of the modality pair at position ``pair`` (``pair_labels`` order)."""
        if not 0 <= pair < len(self._pair_edits):
            raise ValueError(f"no modality pair at position {pair} (the dataset has {len(self._pair_edits)})")
        self._set_range(self._pair_edits[pair], lo, hi)

    def set_interaction(self, kind: str) -> None:
        """Show only samples with ``kind`` among :data:`INTERACTION` ("any": no such limit)."""
        if kind not in INTERACTION:
            raise ValueError(f"interaction filter must be one of {INTERACTION}, got {kind!r}")
        self.interaction_combo.setCurrentText(kind)

    def _set_range(self, edits: tuple[QLineEdit, QLineEdit], lo: float | None, hi: float | None) -> None:
        lo_edit, hi_edit = edits
        self._quiet = True
        lo_edit.setText(_bound_text(lo))
        hi_edit.setText(_bound_text(hi))
        self._quiet = False
        self.changed.emit()

    def set_samples(self, samples: np.ndarray | None, caption: str = "") -> None:
        """Keep only ``samples`` (dataset indices; None: no such limit), named ``caption`` in the bar."""
        self._set_samples(samples, caption)
        self.changed.emit()

    def _set_samples(self, samples: np.ndarray | None, caption: str) -> None:
        self._samples = None if samples is None else tuple(np.asarray(samples, np.int64).tolist())
        self.samples_label.setText(f"only {caption} ({len(self._samples)})" if self._samples is not None else "")
        self.samples_label.setVisible(self._samples is not None)

    def clear(self) -> None:
        self._quiet = True
        self._set_samples(None, "")
        self.text_edit.clear()
        for combo in (self.label_combo, self.split_combo, self.correct_combo, self.interaction_combo):
            combo.setCurrentIndex(0)
        for lo, hi in (*self._phi_edits, *self._pair_edits):
            lo.clear()
            hi.clear()
        self._quiet = False
        self.changed.emit()

    def _choose(self, combo: QComboBox, value: object, what: str) -> None:
        position = 0 if value is None else combo.findData(value)
        if position < 0:
            options = [combo.itemData(i) for i in range(1, combo.count())]
            raise ValueError(f"unknown {what} {value!r} (choices: {options})")
        combo.setCurrentIndex(position)

    def _emit(self) -> None:
        if not self._quiet:
            self.changed.emit()
