"""A run folder: where each of a run's files lies, its lock, the state its report records, and new folders'
names. The names and the checks on a folder are in :mod:`core.run_files.layout`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from core.run_files import layout
from core.run_files.lock import RunLock, read_holder
from core.run_files.state import RunState


@dataclass(frozen=True)
class RunFolder:
    path: Path

    def __init__(self, path: str | Path) -> None:
        object.__setattr__(self, "path", Path(path))

    @classmethod
    def new(cls, runs_dir: str | Path, strategy: str) -> RunFolder:
        """A fresh folder name ``<runs_dir>/<date-time>-<strategy>`` (suffixed ``-2``, ``-3``… when it exists)."""
        base = Path(runs_dir) / f"{time.strftime('%Y%m%d-%H%M%S')}-{strategy}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        return cls(path)

    @classmethod
    def of_checkpoint(cls, checkpoint: str | Path) -> RunFolder:
        """The run a checkpoint argument stands for: a run folder itself, or the folder a checkpoint is in."""
        path = Path(checkpoint).resolve()
        return cls(path if path.is_dir() else path.parent.parent)

    @property
    def report(self) -> Path:
        return self.path / layout.REPORT_NAME

    @property
    def config(self) -> Path:
        return self.path / layout.CONFIG_NAME

    @property
    def excluded(self) -> Path:
        return self.path / layout.EXCLUDED_NAME

    @property
    def last_checkpoint(self) -> Path:
        return self.path / layout.LAST_CHECKPOINT

    @property
    def best_checkpoint(self) -> Path:
        return self.path / layout.BEST_CHECKPOINT

    @property
    def tensorboard(self) -> Path:
        return self.path / layout.TENSORBOARD_DIR

    def lock(self) -> RunLock:
        """The folder's exclusive lock (not yet taken): ``with folder.lock(): ...``."""
        return RunLock(self.path)

    def holder(self) -> dict[str, str] | None:
        """``{"pid", "host", "since"}`` of the process writing the folder now, or None."""
        return read_holder(self.path)

    def holds_run(self) -> bool:
        return layout.holds_run(self.path)

    def check(self, resuming_here: bool = False, overwrite: bool = False) -> None:
        """Raise :class:`~core.run_files.layout.RunFolderError` when a run may not write here (see
        :func:`~core.run_files.layout.check_run_folder`)."""
        layout.check_run_folder(self.path, resuming_here, overwrite)

    def clear(self) -> list[Path]:
        """Remove the run's files (hold the lock); what was removed."""
        return layout.clear_run(self.path)

    def state(self) -> RunState | None:
        """The state the folder's report records; None without a readable report."""
        from core.report.errors import ReportError
        from core.report.reader import open_report

        if not self.report.is_file():
            return None
        try:
            with open_report(self.report) as report:
                return RunState(report.state)
        except (ReportError, ValueError):
            return None
