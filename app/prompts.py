"""Every question and message the window puts to the user, in one place.

:class:`Prompter` shows real dialogs. :class:`AutoPrompter` answers by policy without blocking and
keeps every message it was given; the window uses it offscreen (tests, ``--smoke``, ``--screenshot``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QInputDialog,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.import_dialog import ImportChoice, ImportDialog

CLOSE_ANSWERS = ("stop", "cancel")


@dataclass(frozen=True)
class ExportChoice:
    """What to export: the whole run, the selected samples or the filtered ones; one split or all."""

    scope: str = "run"
    split: str | None = None


class ExportDialog(QDialog):
    """Asks what part of the report to export."""

    def __init__(self, parent: QWidget | None, selected: int, filtered: int, splits: list[str]) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export report")
        self.whole = QRadioButton("The whole run")
        self.selection = QRadioButton(f"The selected samples ({selected})")
        self.filtered = QRadioButton(f"The samples the browser's filter shows ({filtered})")
        self.whole.setChecked(True)
        self.selection.setEnabled(selected > 0)
        self.filtered.setEnabled(filtered > 0)
        self.split = QComboBox()
        self.split.addItem("all splits", None)
        for name in splits:
            self.split.addItem(name, name)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for radio in (self.whole, self.selection, self.filtered):
            layout.addWidget(radio)
        form = QFormLayout()
        form.addRow("Valuations of", self.split)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def choice(self) -> ExportChoice:
        scope = "selection" if self.selection.isChecked() else "filter" if self.filtered.isChecked() else "run"
        return ExportChoice(scope, self.split.currentData())


class Prompter:
    """Modal dialogs."""

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.critical(parent, title, text)

    def warning(self, parent: QWidget | None, title: str, text: str) -> None:
        QMessageBox.warning(parent, title, text)

    def question(self, parent: QWidget | None, title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        return answer == QMessageBox.StandardButton.Yes

    def close_while_training(self, parent: QWidget | None) -> str:
        """"stop" (stop the run, save it and close) or "cancel" (keep the window open)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                          "A run is still training. Stop it (its last checkpoint and report are saved) and quit?",
                          parent=parent)
        stop = box.addButton("Stop and quit", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(stop)
        box.exec()
        return "stop" if box.clickedButton() is stop else "cancel"

    def export_choice(self, parent: QWidget | None, selected: int, filtered: int, splits: list[str]) -> ExportChoice | None:
        dialog = ExportDialog(parent, selected, filtered, splits)
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def import_choice(self, parent: QWidget | None, start: str) -> ImportChoice | None:
        dialog = ImportDialog(parent, start)
        return dialog.choice() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def choose(self, parent: QWidget | None, title: str, label: str, items: list[str]) -> str:
        """One of ``items`` ("" when cancelled)."""
        item, ok = QInputDialog.getItem(parent, title, label, items, 0, False)
        return item if ok else ""

    def choose_folder(self, parent: QWidget | None, caption: str, start: str) -> str:
        return QFileDialog.getExistingDirectory(parent, caption, start)

    def open_file(self, parent: QWidget | None, caption: str, start: str, filters: str) -> str:
        return QFileDialog.getOpenFileName(parent, caption, start, filters)[0]

    def save_file(self, parent: QWidget | None, caption: str, start: str, filters: str) -> str:
        return QFileDialog.getSaveFileName(parent, caption, start, filters)[0]


@dataclass
class AutoPrompter(Prompter):
    """Answers without a dialog: questions get ``answer``, closing during training gets ``close_answer``,
    the export dialog gets ``export``, the import dialog ``import_`` (None: cancelled), a choice among items the first item, file and folder choices get
    the next entry of ``paths`` (or "" for cancelled). Messages are kept in ``messages`` as (kind, title, text)."""

    answer: bool = False
    close_answer: str = "stop"
    export: ExportChoice = field(default_factory=ExportChoice)
    import_: ImportChoice | None = None
    paths: list[str] = field(default_factory=list)
    messages: list[tuple[str, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.close_answer not in CLOSE_ANSWERS:
            raise ValueError(f"close_answer must be one of {CLOSE_ANSWERS}, got {self.close_answer!r}")

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.messages.append(("error", title, text))

    def warning(self, parent: QWidget | None, title: str, text: str) -> None:
        self.messages.append(("warning", title, text))

    def question(self, parent: QWidget | None, title: str, text: str) -> bool:
        self.messages.append(("question", title, text))
        return self.answer

    def close_while_training(self, parent: QWidget | None) -> str:
        self.messages.append(("question", "Training is running", "close while training"))
        return self.close_answer

    def export_choice(self, parent: QWidget | None, selected: int, filtered: int, splits: list[str]) -> ExportChoice | None:
        return self.export

    def import_choice(self, parent: QWidget | None, start: str) -> ImportChoice | None:
        return self.import_

    def choose(self, parent: QWidget | None, title: str, label: str, items: list[str]) -> str:
        return items[0] if items else ""

    def choose_folder(self, parent: QWidget | None, caption: str, start: str) -> str:
        return self._next_path()

    def open_file(self, parent: QWidget | None, caption: str, start: str, filters: str) -> str:
        return self._next_path()

    def save_file(self, parent: QWidget | None, caption: str, start: str, filters: str) -> str:
        return self._next_path()

    def _next_path(self) -> str:
        return self.paths.pop(0) if self.paths else ""
