"""The window's state as a QObject: :class:`app.state.session_state.SessionState` whose changes are Qt signals.

One :class:`Session` lives in the GUI thread. It is fed by engine events (through the bridge) or by
report snapshots (read in a background task); views read its state and listen to its signals. All the
state and its rules are in :mod:`app.state`, which has no Qt; this class only adds the signals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from app.state.session_state import Change, SessionState


class Session(QObject, SessionState):
    """State shared by all views; mutated only in the GUI thread. Each :class:`Change` is the signal
    of the same name."""

    dataset_changed = Signal()
    valuation_added = Signal(str, int)  # split, epoch
    metrics_changed = Signal()
    resampling_changed = Signal()
    selection_changed = Signal()
    filter_changed = Signal()  # the rows the browser's filter keeps
    current_changed = Signal(int)  # dataset index, -1 for none
    run_state_changed = Signal(str)
    progress_changed = Signal(object)  # core.events.Progress
    log_message = Signal(str, str)  # level, text
    media_root_changed = Signal()
    checkpoint_saved = Signal(str)  # path
    value_fn_changed = Signal(str)  # the value function the valuations are shown under

    def __init__(self, parent: QObject | None = None) -> None:
        QObject.__init__(self, parent)
        SessionState.__init__(self, self._emit)

    def _emit(self, change: Change, *args: Any) -> None:
        getattr(self, change.value).emit(*args)
