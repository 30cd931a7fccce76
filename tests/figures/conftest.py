"""The report fixtures (a finished synthetic report) for the figure tests."""

from tests.report.conftest import data, finished_report  # noqa: F401
