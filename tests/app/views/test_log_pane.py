"""The log pane: session messages, one line each, coloured by level, bounded in length."""

from __future__ import annotations

from PySide6.QtGui import QColor

from app.session import Session
from app.views.log import MAX_LINES, LogPane


def test_messages_are_shown_with_their_level(qtbot):
    session = Session()
    pane = LogPane(session)
    qtbot.addWidget(pane)
    pane.set_colors({"debug": QColor("#010101"), "info": QColor("#020202"), "warning": QColor("#030303"),
                     "error": QColor("#040404")})
    session.log_message.emit("info", "opened <data> & more")
    session.log_message.emit("error", "failed\nsecond line")
    session.log_message.emit("weird", "unknown level")
    text = pane.text.toPlainText().splitlines()
    assert text[0].endswith("opened <data> & more")
    assert "error: failed" in text[1] and text[2].strip() == "second line"
    assert text[3].endswith("unknown level") and "weird" not in text[3]
    assert pane.counts == {"debug": 0, "info": 2, "warning": 0, "error": 1}
    assert "#040404" in pane.text.document().toHtml()


def test_the_log_keeps_its_last_lines(qtbot):
    session = Session()
    pane = LogPane(session)
    qtbot.addWidget(pane)
    for i in range(MAX_LINES + 50):
        pane.add("info", f"line {i}")
    lines = pane.text.toPlainText().splitlines()
    assert len(lines) == MAX_LINES and lines[-1].endswith(f"line {MAX_LINES + 49}")
