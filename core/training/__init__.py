"""Training: the :class:`Engine` that runs epochs in a background thread (:mod:`~core.training.engine`),
its loop, schedule and evaluation, checkpoints (:mod:`~core.training.checkpoint`) and the re-sampling
requests a user sends to a running engine (:mod:`~core.training.requests`).

Each name is imported on first use (:mod:`core.exports`), so importing one module never loads the others.
"""

from typing import TYPE_CHECKING

from core.exports import lazy_exports

if TYPE_CHECKING:
    from core.training.checkpoint import CheckpointError, UntrustedCheckpointError, load_checkpoint
    from core.training.engine import Engine, RunOutcome
    from core.training.requests import ResamplingRequest, checked_request
else:  # the checker reads the imports above; at run time each name is imported on first use
    __getattr__, __dir__, __all__ = lazy_exports(
        __name__,
        {
            "checkpoint": ("CheckpointError", "UntrustedCheckpointError", "load_checkpoint"),
            "engine": ("Engine", "RunOutcome"),
            "requests": ("ResamplingRequest", "checked_request"),
        },
    )
