"""What a run folder holds, below the engine that writes it: the names a run writes and the checks on a
folder (:mod:`~core.run_files.layout`), one writer per folder (:mod:`~core.run_files.lock`), a run's own
data (:mod:`~core.run_files.identity`) and the states a run passes through (:mod:`~core.run_files.state`).

Each name is imported on first use (:mod:`core.exports`)."""

from typing import TYPE_CHECKING

from core.exports import lazy_exports

if TYPE_CHECKING:
    from core.run_files.layout import (
        BEST_CHECKPOINT,
        CHECKPOINTS_DIR,
        CONFIG_NAME,
        LAST_CHECKPOINT,
        REPORT_NAME,
        RunFolderError,
        holds_run,
    )
    from core.run_files.state import ACTIVE, FINAL, RunState, ended_state
else:  # the checker reads the imports above; at run time each name is imported on first use
    __getattr__, __dir__, __all__ = lazy_exports(
        __name__,
        {
            "layout": (
                "BEST_CHECKPOINT",
                "CHECKPOINTS_DIR",
                "CONFIG_NAME",
                "LAST_CHECKPOINT",
                "REPORT_NAME",
                "RunFolderError",
                "holds_run",
            ),
            "state": ("ACTIVE", "FINAL", "RunState", "ended_state"),
        },
    )
