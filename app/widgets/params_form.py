"""A form generated from a strategy's ``Params`` dataclass: one editor per field, by type.

bool → check box, int → spin box, float → spin box showing short ``%g`` text (so 1e-4 reads as 1e-4),
str → combo box when the field lists its choices (``metadata["choices"]``, or quoted words in its help
text that include the default), else a line edit. The help text is the editor's tooltip.
"""

from __future__ import annotations

import dataclasses
import math
import re
import typing
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from core.config import parse_value
from core.strategies import Strategy, build_params

_QUOTED = re.compile(r"'([^']+)'")
INT_RANGE = 1_000_000_000


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows the shortest exact text (``0.001``, ``1e-06``) and steps by decades."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(-1e12, 1e12)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802 - Qt override
        try:
            return float(text.strip())
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:  # Qt override
        stripped = text.strip()
        try:
            float(stripped)
            return QValidator.State.Acceptable, text, pos
        except ValueError:
            partial = stripped in ("", "-", "+", ".", "-.") or stripped[-1:] in ("e", "E", "-", "+")
            return (QValidator.State.Intermediate if partial else QValidator.State.Invalid), text, pos

    def stepBy(self, steps: int) -> None:  # noqa: N802 - Qt override
        value = self.value()
        magnitude = 10 ** math.floor(math.log10(abs(value))) if value else 0.1
        self.setValue(value + steps * magnitude)


def field_choices(f: dataclasses.Field, default: Any) -> list[str]:
    """The allowed values of a str field, when the field says so (empty list otherwise)."""
    choices = f.metadata.get("choices")
    if choices:
        return [str(c) for c in choices]
    quoted = _QUOTED.findall(f.metadata.get("help", ""))
    return list(dict.fromkeys(quoted)) if len(quoted) >= 2 and default in quoted else []


class ParamsForm(QWidget):
    """Editors for one strategy's parameters; ``values()`` gives them as a plain dict."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self._editors: dict[str, QWidget] = {}
        self._types: dict[str, type] = {}
        self.strategy: type[Strategy] | None = None

    def set_strategy(self, cls: type[Strategy]) -> None:
        """Rebuild the form for ``cls``, every editor at its default."""
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._editors, self._types = {}, {}
        self.strategy = cls
        if cls.Params is type(None):
            self._layout.addRow(QLabel("This strategy has no parameters."))
            return
        hints = typing.get_type_hints(cls.Params)
        defaults = cls.Params()
        for f in dataclasses.fields(cls.Params):
            default = getattr(defaults, f.name)
            editor = self._editor(f, hints.get(f.name, type(default)), default)
            editor.setObjectName(f"param_{f.name}")
            help_text = f.metadata.get("help", "")
            editor.setToolTip(f"{help_text}\n(default: {default!r})" if help_text else f"default: {default!r}")
            label = QLabel(f.name.replace("_", " "))
            label.setToolTip(editor.toolTip())
            self._layout.addRow(label, editor)
            self._editors[f.name] = editor
        self.changed.emit()

    def _editor(self, f: dataclasses.Field, hint: Any, default: Any) -> QWidget:
        if hint is bool:
            self._types[f.name] = bool
            box = QCheckBox()
            box.setChecked(bool(default))
            box.toggled.connect(self.changed)
            return box
        if hint is int:
            self._types[f.name] = int
            spin = QSpinBox()
            spin.setRange(-INT_RANGE, INT_RANGE)
            spin.setValue(int(default))
            spin.valueChanged.connect(self.changed)
            return spin
        if hint is float:
            self._types[f.name] = float
            float_spin = FloatSpinBox()
            float_spin.setValue(float(default))
            float_spin.valueChanged.connect(self.changed)
            return float_spin
        if hint is str and (choices := field_choices(f, default)):
            self._types[f.name] = str
            combo = QComboBox()
            combo.addItems(choices)
            combo.setCurrentText(str(default))
            combo.currentTextChanged.connect(self.changed)
            return combo
        self._types[f.name] = str if hint is str else object
        line = QLineEdit(str(default) if hint is str else repr(default))
        line.textChanged.connect(self.changed)
        return line

    def editor(self, name: str) -> QWidget:
        return self._editors[name]

    def values(self) -> dict[str, Any]:
        """Every parameter's current value, typed as its field."""
        values: dict[str, Any] = {}
        for name, editor in self._editors.items():
            kind = self._types[name]
            if isinstance(editor, QCheckBox):
                values[name] = editor.isChecked()
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                values[name] = kind(editor.value())
            elif isinstance(editor, QComboBox):
                values[name] = editor.currentText()
            else:
                assert isinstance(editor, QLineEdit)  # the editor of any other type
                text = editor.text()
                values[name] = text if kind is str else parse_value(text)
        return values

    def set_values(self, values: dict[str, Any]) -> None:
        """Show ``values`` (unknown keys raise ``ValueError`` naming them)."""
        unknown = sorted(set(values) - set(self._editors))
        if unknown:
            raise ValueError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(self._editors)}")
        for name, value in values.items():
            editor = self._editors[name]
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            elif isinstance(editor, QSpinBox | QDoubleSpinBox):
                editor.setValue(value)
            elif isinstance(editor, QComboBox):
                if editor.findText(str(value)) < 0:
                    editor.addItem(str(value))
                editor.setCurrentText(str(value))
            else:
                assert isinstance(editor, QLineEdit)
                editor.setText(str(value) if self._types[name] is str else repr(value))

    def reset(self) -> None:
        if self.strategy is not None:
            self.set_strategy(self.strategy)

    def problem(self) -> str:
        """Why the current values are not accepted by the strategy ("" when they are)."""
        if self.strategy is None:
            return ""
        try:
            build_params(self.strategy, self.values())
        except ValueError as exc:
            return str(exc)
        return ""
