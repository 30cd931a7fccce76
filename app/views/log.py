"""The log pane: the engine's messages and the window's own notes, coloured by level, newest last."""

from __future__ import annotations

import html
import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QFontDatabase
from PySide6.QtWidgets import QPlainTextEdit, QVBoxLayout, QWidget

from app.session import Session
from app.theme import Theme
from app.views.base import LEFT, View

MAX_LINES = 5000
LEVELS = ("debug", "info", "warning", "error")
DEFAULT_COLORS = {"debug": "#8a9099", "info": "", "warning": "#b86e00", "error": "#c0392b"}


class LogPane(View, QWidget):
    """Read-only list of messages; keeps the last ``MAX_LINES``."""

    key = "log"
    title = "Log"
    area = LEFT

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setObjectName("logText")
        self.text.setReadOnly(True)
        self.text.setMaximumBlockCount(MAX_LINES)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setToolTip("Messages of the runs and of the window (right-click to clear)")
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.text.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        clear = QAction("Clear the log", self.text)
        clear.triggered.connect(self.text.clear)
        self.text.addAction(clear)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.text, 1)
        self.colors = dict(DEFAULT_COLORS)
        self.counts = dict.fromkeys(LEVELS, 0)
        session.log_message.connect(self.add)

    def theme_changed(self, theme: Theme) -> None:
        self.set_colors({level: theme.log_color(level) for level in LEVELS})

    def set_colors(self, colors: dict[str, QColor]) -> None:
        """Level colours (from the theme); the info colour follows the text colour."""
        self.colors = {level: colors[level].name() if level != "info" else "" for level in colors}

    def add(self, level: str, text: str) -> None:
        level = level if level in LEVELS else "info"
        self.counts[level] += 1
        stamp = time.strftime("%H:%M:%S")
        color = self.colors.get(level, "")
        style = f' style="color:{color}"' if color else ""
        lines = html.escape(text).replace("\n", "<br>&nbsp;&nbsp;")
        tag = "" if level == "info" else f"{level}: "
        self.text.appendHtml(f'<span{style}>{stamp}  {tag}{lines}</span>')
