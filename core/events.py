"""Plain Python events the engine emits, and the bus that delivers them to listeners.

Listeners are called synchronously in the engine's thread, in subscription order. A listener must
not mutate an event's arrays; every event carries fresh arrays that the engine never touches again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import numpy as np

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class RunStarted:
    """A run begins (or resumes): its folder, config and the data it trains on."""

    run_dir: str
    config_toml: str
    device: str
    modalities: list[str]
    class_names: list[str]
    num_train: int
    num_val: int
    start_epoch: int
    total_epochs: int
    steps_per_epoch: int
    dataset: Any  # core.data.tensors.PreparedData; kept untyped to avoid an import cycle
    start_step: int = 0
    """The step of ``start_epoch`` the run continues at (a resume of a run stopped mid-epoch)."""


@dataclass(frozen=True)
class StepMetrics:
    """Training metrics of one optimisation step (losses, accuracies, MI-term estimates)."""

    epoch: int
    step: int
    global_step: int
    wall_time: float
    metrics: dict[str, float]


@dataclass(frozen=True)
class EpochMetrics:
    """End-of-epoch metrics: ``train/...`` averaged over the epoch, ``val/...`` on the validation split."""

    epoch: int
    wall_time: float
    metrics: dict[str, float]


@dataclass(frozen=True)
class ValuationReady:
    """Per-sample Shapley values of one split after one epoch."""

    result: Any  # core.valuation.result.ValuationResult; not imported, so events stay below valuation


@dataclass(frozen=True)
class ResamplingPlanned:
    """The extra copies the next epoch trains on: sample index, kept modality, copies, source."""

    epoch: int
    sample_index: np.ndarray
    modality: np.ndarray
    copies: np.ndarray
    user_requested: np.ndarray


@dataclass(frozen=True)
class Progress:
    """Where the run is: done and total steps over the whole run, seconds elapsed and remaining."""

    epoch: int
    step: int
    done_steps: int
    total_steps: int
    elapsed_s: float
    remaining_s: float | None


@dataclass(frozen=True)
class LogMessage:
    level: str
    text: str


@dataclass(frozen=True)
class CheckpointSaved:
    epoch: int
    path: str
    best: bool


@dataclass(frozen=True)
class RunPaused:
    paused: bool


@dataclass(frozen=True)
class RunFinished:
    """The run ended; ``stopped`` is true when it was asked to stop before the last epoch."""

    epochs_done: int
    stopped: bool
    best_epoch: int | None
    best_val_accuracy: float | None


@dataclass(frozen=True)
class RunFailed:
    error: str
    traceback: str


ListenerFn = Callable[[Any], None]
"""What :meth:`EventBus.subscribe` takes: any callable of one event."""


def handles(*event_types: type) -> Callable[[F], F]:
    """Mark a method of a :class:`Listener` subclass as the handler of the given event types."""

    def mark(method: F) -> F:
        vars(method)["_handles"] = event_types
        return method

    return mark


class Listener:
    """Base of listeners that handle events by type: a subclass marks its handler methods with
    :func:`handles`; calling the listener with an event calls the handler of the event's exact type
    (found in a table built once per class) and ignores events it has no handler for.

    :meth:`dispatch` runs every handled event; a subclass may extend it to wrap them all (a lock,
    error handling, skipping events while closed).
    """

    _handlers: ClassVar[dict[type, str]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        table: dict[type, str] = {}
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                for event_type in getattr(value, "_handles", ()):
                    table[event_type] = name
        cls._handlers = table

    def __call__(self, event: Any) -> None:
        name = self._handlers.get(type(event))
        if name is not None:
            self.dispatch(getattr(self, name), event)

    def dispatch(self, handler: Callable[[Any], None], event: Any) -> None:
        """Run the handler of one event."""
        handler(event)


@dataclass
class EventBus:
    """Delivers events to any number of listeners, in subscription order.

    An optional listener (a view, a progress bar) that fails is logged and skipped: one broken view
    must not stop training. A *critical* listener (the report writer) is part of the run: its error is
    re-raised by :meth:`emit` and the listeners after it do not get the event (for the run it did not
    happen: a run whose report failed to record its end never shows as finished), so the run stops at a
    clean point.
    """

    _listeners: list[tuple[ListenerFn, bool]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def subscribe(self, listener: ListenerFn, critical: bool = False) -> Callable[[], None]:
        entry = (listener, critical)
        with self._lock:
            self._listeners.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._listeners:
                    self._listeners.remove(entry)

        return unsubscribe

    def emit(self, event: Any) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener, critical in listeners:
            try:
                listener(event)
            except Exception:  # noqa: BLE001 - optional listeners are logged, critical ones re-raised
                if critical:
                    raise
                log.exception("event listener %r failed on %s", listener, type(event).__name__)
