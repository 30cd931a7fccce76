"""A widget built with its tooltip in one expression.

PySide6 takes any Qt property as a constructor keyword, but its stubs list only the class's own
properties, so ``QComboBox(toolTip=...)`` fails the type check; ``with_tip(QComboBox(), ...)`` does not.
"""

from __future__ import annotations

from typing import TypeVar

from PySide6.QtWidgets import QWidget

W = TypeVar("W", bound=QWidget)


def with_tip(widget: W, tip: str) -> W:
    """``widget``, its tooltip set to ``tip``."""
    widget.setToolTip(tip)
    return widget
