"""How a run of a grid ended, kept as ``RUN/outcome.json`` next to its report: the record of a failure
(and its reason) even when the run failed before its report existed."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from core.atomic import atomic_write
from core.run_files.state import RunState

OUTCOME_NAME = "outcome.json"
STATES = (RunState.FINISHED, RunState.SKIPPED, RunState.STOPPED, RunState.FAILED)
"""finished: trained to the end now; skipped: finished before; stopped: asked to stop (resumable);
failed: ``error`` says why."""


@dataclass(frozen=True)
class CellResult:
    name: str
    state: RunState
    error: str = ""
    seconds: float = 0.0
    start_epoch: int = 0
    """The epoch the run started at: above 0 for a resumed run."""
    test_acc: float | None = None
    """The last epoch's test accuracy, where the run has a test split."""

    def describe(self) -> str:
        """One line for the terminal."""
        if self.state == RunState.SKIPPED:
            return f"{self.name}: skipped (finished before)"
        if self.state == RunState.FAILED:
            return f"{self.name}: FAILED: {self.error}"
        resumed = f", resumed at epoch {self.start_epoch + 1}" if self.start_epoch else ""
        accuracy = f", test acc {self.test_acc:.3f}" if self.test_acc is not None else ""
        return f"{self.name}: {self.state}{accuracy} ({self.seconds:.1f} s{resumed})"


def write_outcome(run_dir: Path, result: CellResult) -> None:
    with atomic_write(run_dir / OUTCOME_NAME, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(result), indent=1) + "\n")


def read_outcome(run_dir: Path) -> CellResult | None:
    """The recorded outcome of a run folder, or None when there is none (or it is unreadable)."""
    try:
        values = json.loads((run_dir / OUTCOME_NAME).read_text(encoding="utf-8"))
        return CellResult(**{**values, "state": RunState(values["state"])})
    except (OSError, ValueError, TypeError, KeyError):
        return None
