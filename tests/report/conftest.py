"""Fixtures shared by the report tests."""

from __future__ import annotations

import pytest

from core.report import ReportWriter
from tests.report import run_events as ev


@pytest.fixture
def data():
    return ev.prepared()


@pytest.fixture
def finished_report(tmp_path, data):
    """A finished 3-epoch report of the synthetic run."""
    path = tmp_path / "run.h5"
    writer = ReportWriter(path, git_commit="abc123")
    for event in ev.run(data, epochs=3):
        writer(event)
    return path
