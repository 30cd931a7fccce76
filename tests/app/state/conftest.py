"""The window's state is tested without Qt: no application object, no widgets."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _qt_deletes_widgets_before_python():
    """Replaces the app tests' fixture of this name, which needs a Qt application; these tests make none."""
    yield
