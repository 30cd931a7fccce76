"""Valuing a split of a finished run afterwards, into its report: what ``modalens value --into-report`` does,
through the same :func:`core.runs.value.value_split`. Runs in a background task; nothing here touches Qt."""

from __future__ import annotations

from pathlib import Path

from app.tasks import TaskState
from core.valuation import ValuationResult


def value_split(run_dir: Path, split: str, state: TaskState, data_path: Path | None = None) -> ValuationResult:
    """Value ``split`` with the run's last checkpoint and add it to the run's report (the dataset read from
    ``data_path`` when its media were found elsewhere); the result."""
    from core.runs import open_checkpoint
    from core.runs import value_split as value_into_report

    state.progress(0, 0, "reading the checkpoint")
    saved = open_checkpoint(run_dir, data_path=data_path)
    state.check()
    return value_into_report(saved, split, into_report=True, steps=state).result
