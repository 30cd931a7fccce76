"""File → Import dataset…: a dataset source (``core.data.sources``), its folders and options, as a dialog.

The dialog only gathers an :class:`ImportChoice`; the controller runs the import
(:func:`core.data.sources.writer.import_dataset`) in a background task and opens the folder it wrote.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.widgets.params_form import INT_RANGE, FloatSpinBox
from core.data import SOURCES, Option


@dataclass(frozen=True)
class ImportChoice:
    """What to import: ``source`` (a registered name), from ``root`` into ``out``, with option values
    (keys as ``Option.key``; options left out take the source's defaults)."""

    source: str
    root: str
    out: str
    given: dict[str, Any] = field(default_factory=dict)
    force: bool = False


class OptionsForm(QWidget):
    """One editor per option of a source: switch → check box, choices → combo box, int / float → spin box,
    else a line edit (empty: the default)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QFormLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._editors: dict[str, tuple[Option, QWidget]] = {}

    def set_options(self, options: tuple[Option, ...] | list[Option]) -> None:
        while self._layout.rowCount():
            self._layout.removeRow(0)
        self._editors = {}
        if not options:
            self._layout.addRow(QLabel("This source has no options."))
        for option in options:
            editor = _editor(option)
            editor.setObjectName(f"option_{option.key}")
            editor.setToolTip(option.help if option.default is None else f"{option.help}\n(default: {option.default})")
            label = QLabel(option.flag.lstrip("-").replace("-", " "))
            label.setToolTip(editor.toolTip())
            self._layout.addRow(label, editor)
            self._editors[option.key] = (option, editor)

    def editor(self, key: str) -> QWidget:
        return self._editors[key][1]

    def values(self) -> dict[str, Any]:
        """The options that differ from their defaults, typed as the source expects."""
        given: dict[str, Any] = {}
        for key, (option, editor) in self._editors.items():
            if isinstance(editor, QCheckBox):
                value: Any = editor.isChecked() or None
            elif isinstance(editor, QComboBox):
                value = option.choices[editor.currentIndex()] if option.choices else None
            elif isinstance(editor, (QSpinBox, FloatSpinBox)):
                value = editor.value()  # an int or float option's: already of the option's type
            else:
                assert isinstance(editor, QLineEdit)  # the editor of any other option
                text = editor.text().strip()
                value = _typed(option, text) if text else None
            if value is not None and value != option.default:
                given[key] = value
        return given


def _editor(option: Option) -> QWidget:
    if option.switch:
        return QCheckBox()
    if option.choices:
        combo = QComboBox()
        combo.addItems([str(c) for c in option.choices])
        if option.default in option.choices:
            combo.setCurrentIndex(list(option.choices).index(option.default))
        return combo
    if option.type is int and option.default is not None:
        spin = QSpinBox()
        spin.setRange(-INT_RANGE, INT_RANGE)
        spin.setValue(int(option.default))
        return spin
    if option.type is float and option.default is not None:
        box = FloatSpinBox()
        box.setValue(float(option.default))
        return box
    line = QLineEdit()
    line.setPlaceholderText(option.metavar or "default" if option.default is None else str(option.default))
    return line


def _typed(option: Option, text: str) -> Any:
    try:
        return option.type(text)
    except (TypeError, ValueError):
        raise ValueError(f"option {option.flag}: {text!r} is not a valid {option.metavar or 'value'}") from None


class ImportDialog(QDialog):
    """Source, dataset folder as downloaded, output folder, the source's options."""

    def __init__(self, parent: QWidget | None, start: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Import dataset")
        self.source = QComboBox()
        self.source.addItems(SOURCES.names())
        self.about = QLabel(textFormat=Qt.TextFormat.RichText)
        self.about.setWordWrap(True)
        self.root = QLineEdit(start)
        self.out = QLineEdit()
        self.force = QCheckBox("replace a manifest.csv already in the output folder")
        self.options = OptionsForm()
        form = QFormLayout()
        form.addRow("source", self.source)
        form.addRow("", self.about)
        form.addRow("dataset folder", _with_browse(self, self.root, "Dataset folder as downloaded"))
        form.addRow("output folder", _with_browse(self, self.out, "Dataset folder to write"))
        form.addRow("", self.force)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("<b>Options</b>"))
        layout.addWidget(self.options)
        layout.addWidget(buttons)
        self.source.currentTextChanged.connect(self._source_changed)
        self._source_changed(self.source.currentText())

    def _source_changed(self, name: str) -> None:
        source = SOURCES.get(name)
        self.about.setText(f"{html.escape(source.summary)}<br><i>layout:</i> {html.escape(source.layout)}")
        self.options.set_options(source.options)

    def choice(self) -> ImportChoice:
        return ImportChoice(self.source.currentText(), self.root.text().strip(), self.out.text().strip(),
                            self.options.values(), self.force.isChecked())


def _with_browse(parent: QWidget, line: QLineEdit, caption: str) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(line, 1)
    button = QPushButton("Browse…")
    layout.addWidget(button)

    def browse() -> None:
        folder = QFileDialog.getExistingDirectory(parent, caption, line.text() or str(Path.home()))
        if folder:
            line.setText(folder)

    button.clicked.connect(browse)
    return row
