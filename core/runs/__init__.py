"""Runs as the command line, the window and a grid all use them, without Qt: :class:`RunFolder`
(:mod:`~core.runs.folder`), a run read back from a checkpoint (:mod:`~core.runs.restore`), ``start_run``
(:mod:`~core.runs.start`) and ``value_split`` (:mod:`~core.runs.value`). What a run folder holds lives one
floor below the engine, in :mod:`core.run_files`.

Each name is imported on first use (:mod:`core.exports`), so importing one module never loads the others.
"""

from typing import TYPE_CHECKING

from core.exports import lazy_exports

if TYPE_CHECKING:
    from core.runs.folder import RunFolder
    from core.runs.restore import SavedRun, open_checkpoint, restore_model
    from core.runs.start import start_run
    from core.runs.value import ValuedSplit, value_split
else:  # the checker reads the imports above; at run time each name is imported on first use
    __getattr__, __dir__, __all__ = lazy_exports(
        __name__,
        {
            "folder": ("RunFolder",),
            "restore": ("SavedRun", "open_checkpoint", "restore_model"),
            "start": ("start_run",),
            "value": ("ValuedSplit", "value_split"),
        },
    )
