"""What the views use of the controller, as a protocol, so that no view imports :mod:`app.controller`.

:class:`app.controller.AppController` satisfies :class:`ViewController` by its shape; the views sit below
the controller in the app layers and name only this port.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.runner import RequestRow


class ViewController(Protocol):
    """The signals views listen to and the actions they call."""

    config_shown: SignalInstance
    comparison_read: SignalInstance
    requests_changed: SignalInstance

    def compare_report(self, path: str | Path) -> object:
        """Read another report's curves in the background; ``comparison_read`` brings them."""
        ...

    def toggle_pause(self) -> None: ...

    def stop_training(self) -> None: ...

    def add_request(self, samples: np.ndarray, modality: str, copies: int, epochs: int | None) -> int:
        """Re-sample ``modality`` of ``samples`` from the next epoch; returns the request's id."""
        ...

    def cancel_request(self, request_id: int) -> None: ...

    def request_rows(self) -> list[RequestRow]: ...
