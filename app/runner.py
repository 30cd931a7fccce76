"""Runs the training engine in one long-lived worker thread and keeps the user's re-sampling requests.

The worker is a QObject moved to a QThread that lives as long as the runner. Starting a run hands an
:class:`Engine` to the worker through a queued signal; pause, resume and stop call the engine's
thread-safe methods directly, because a queued slot could not run while the worker is busy training.
The run's report is written by a :class:`ReportWriter` subscribed to the engine bus, as on the
command line. Requests made while no run is going are kept and handed to the next run when it starts.

The worker thread runs below the window's priority (:data:`ENGINE_NICE`): on a busy machine the
scheduler then serves the GUI and media threads first when they wake, and training takes the rest.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.bridge import EventBridge
from app.preimport import import_in_gui_thread
from app.session import Session
from core import events as ev
from core.config import RunConfig
from core.runs import RunFolder, start_run
from core.training import Engine, ResamplingRequest, RunOutcome, checked_request

ENGINE_NICE = 5
"""How many nice steps the engine's thread runs below the process's main (GUI) thread, on Linux, where a
nice value belongs to one thread and the threads and processes it starts (torch's intra-op pool,
data-loading workers) inherit it. Each step is about 1.25x less CPU share when both compete; measured
in benchmarks/results/gui_latency.md ("Under load")."""
ENGINE_SWITCH_INTERVAL_S = 0.001
"""Python's thread switch interval while a run trains (the default is 5 ms, restored after the run). The
engine's thread holds the GIL between torch calls; a thread that wants it back (the GUI thread with a
decoded frame, the media thread with a request) waits up to one interval before the holder must let
go, once at every hand-over of a selection. Measured in benchmarks/results/gui_latency.md ("GIL")."""


def lower_thread_priority(steps: int) -> int | None:
    """Give the calling thread a nice value ``steps`` above the main thread's (never lowering it, which
    needs privileges). Returns the thread's nice value now, or None where threads have no nice of
    their own (not Linux)."""
    if sys.platform != "linux" or steps <= 0:
        return None
    thread = threading.get_native_id()
    target = min(19, os.getpriority(os.PRIO_PROCESS, os.getpid()) + steps)
    try:
        if os.getpriority(os.PRIO_PROCESS, thread) < target:
            os.setpriority(os.PRIO_PROCESS, thread, target)
        return os.getpriority(os.PRIO_PROCESS, thread)
    except OSError:  # (a sandbox that forbids it) the run goes on at the window's priority
        return None


@dataclass(frozen=True)
class PendingRequest:
    """A request kept for the next run (negative ids, to tell them from the engine's)."""

    id: int
    sample_index: np.ndarray
    modality: str
    copies: int
    epochs: int | None


@dataclass(frozen=True)
class RequestRow:
    """One line of the requests list, whichever side holds the request."""

    id: int
    modality: str
    copies: int
    samples: int
    start_epoch: int | None
    epochs: int | None
    status: str  # pending, active, scheduled, done, cancelled


class _Worker(QObject):
    """Lives in the worker thread; runs one engine at a time to its end."""

    done = Signal(object)  # RunOutcome

    def __init__(self, idle: threading.Event, nice: int, switch_interval_s: float) -> None:
        super().__init__()
        self._idle = idle
        self.nice = nice
        self.switch_interval_s = switch_interval_s
        self.native_id: int | None = None  # the worker thread's id, once it has run an engine

    @Slot(object)
    def run_engine(self, engine: Engine) -> None:
        self.native_id = threading.get_native_id()
        lower_thread_priority(self.nice)  # before the run starts torch's threads or loading workers
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, self.switch_interval_s))
        try:
            outcome = engine.run()
        finally:
            sys.setswitchinterval(previous)
            self._idle.set()
        self.done.emit(outcome)


def new_run_dir(runs_dir: str | Path, strategy: str) -> Path:
    """A fresh folder name ``<runs_dir>/<date-time>-<strategy>`` (see :meth:`RunFolder.new`)."""
    return RunFolder.new(runs_dir, strategy).path


class TrainingRunner(QObject):
    """Starts, pauses, resumes and stops runs; one engine at a time, one worker thread for all."""

    busy_changed = Signal(bool)
    finished = Signal(object)  # RunOutcome
    requests_changed = Signal()

    _launch = Signal(object)

    def __init__(
        self,
        session: Session,
        parent: QObject | None = None,
        nice: int = ENGINE_NICE,
        switch_interval_s: float = ENGINE_SWITCH_INTERVAL_S,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.engine: Engine | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._thread = QThread(self)
        self._thread.setObjectName("modalens-engine")
        self._worker = _Worker(self._idle, nice, switch_interval_s)
        self._worker.moveToThread(self._thread)
        self._launch.connect(self._worker.run_engine)
        self._worker.done.connect(self._on_done)
        self._bridge = EventBridge(session.apply, self)
        self._pending: list[PendingRequest] = []
        self._pending_lock = threading.Lock()
        self._handover_done = threading.Event()

    # -- state ----------------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        """True from ``start`` until the engine's run has returned."""
        return not self._idle.is_set()

    @property
    def worker_thread(self) -> QThread:
        """The long-lived thread the engine runs in."""
        return self._thread

    @property
    def engine_nice(self) -> int:
        """Nice steps below the main thread the engine's thread takes at its first run (see ENGINE_NICE)."""
        return self._worker.nice

    @engine_nice.setter
    def engine_nice(self, steps: int) -> None:
        self._worker.nice = steps

    @property
    def switch_interval_s(self) -> float:
        """Python's thread switch interval while a run trains (see ENGINE_SWITCH_INTERVAL_S)."""
        return self._worker.switch_interval_s

    @switch_interval_s.setter
    def switch_interval_s(self, seconds: float) -> None:
        self._worker.switch_interval_s = seconds

    @property
    def engine_thread_id(self) -> int | None:
        """The native id of the thread runs train in (None before the first run)."""
        return self._worker.native_id

    # -- control --------------------------------------------------------------------------------
    def start(
        self,
        config: RunConfig,
        run_dir: str | Path,
        resume_from: str | Path | None = None,
        trust_checkpoints: bool = False,
    ) -> Engine:
        """Start a run in the worker thread; its report goes to ``run_dir/report.h5``. ``trust_checkpoints``
        (only after the user said so) lets the run read old-format checkpoints, which can run code."""
        if self.busy:
            raise RuntimeError("a run is already going; stop it first")
        import_in_gui_thread(models=True)  # what the run would import lazily, not in its worker thread
        folder = RunFolder(run_dir)
        folder.check(resuming_here=resume_from is not None)  # a new run never replaces another
        engine = start_run(
            config, folder.path, [self._bridge], resume_from=resume_from, trust_checkpoints=trust_checkpoints
        )
        self._handover_done = threading.Event()
        engine.bus.subscribe(_RequestHandover(engine, self._take_pending, self._handover_done))
        self.engine = engine
        self.session.report_path = folder.report
        self._idle.clear()
        if not self._thread.isRunning():
            self._thread.start(QThread.Priority.LowPriority)  # (where Qt can set it: not Linux, see ENGINE_NICE)
        self._launch.emit(engine)
        self.busy_changed.emit(True)
        self.requests_changed.emit()
        return engine

    def pause(self) -> None:
        if self.engine is not None and self.busy:
            self.engine.pause()

    def resume(self) -> None:
        if self.engine is not None and self.busy:
            self.engine.unpause()

    def stop(self, wait: bool = True, timeout_s: float | None = 120.0) -> bool:
        """Ask the run to stop at the next step; with ``wait``, block until it has saved and returned.

        Returns True when no run is going any more.
        """
        if self.engine is None or not self.busy:
            return True
        self.engine.request_stop()
        if not wait:
            return False
        stopped = self._idle.wait(timeout_s)
        self._bridge.drain()
        return stopped

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Stop any run and end the worker thread; True when the thread has finished.

        Without ``timeout_s`` it waits as long as the run needs to save: a thread still running when its
        QThread is destroyed would abort the process and could leave the checkpoint half written."""
        self.stop(wait=True, timeout_s=timeout_s)
        self._thread.quit()
        if timeout_s is None:
            return self._thread.wait()
        return self._thread.wait(int(timeout_s * 1000))

    @Slot(object)
    def _on_done(self, outcome: RunOutcome) -> None:
        self._bridge.drain()
        self.busy_changed.emit(False)
        self.requests_changed.emit()
        self.finished.emit(outcome)

    def _take_pending(self) -> list[PendingRequest]:
        with self._pending_lock:
            taken, self._pending = self._pending, []
            self._handover_done.set()  # from now on requests go straight to the engine
        return taken

    # -- re-sampling requests -------------------------------------------------------------------
    def add_request(
        self, sample_index: np.ndarray | list[int], modality: str, copies: int = 1, epochs: int | None = 1
    ) -> int:
        """Queue "re-sample these samples keeping ``modality``, ``copies`` times, for ``epochs`` epochs".

        Goes straight to the running engine (from its next epoch), or is kept for the next run.
        Returns the request id; raises ``ValueError`` for a bad request.
        """
        modalities = self.session.dataset.modalities if self.session.dataset is not None else []
        if not modalities:
            raise ValueError("no dataset is open, so there is nothing to re-sample")
        index = checked_request(sample_index, modality, copies, epochs, list(modalities))
        with self._pending_lock:  # the engine thread takes the pending list under the same lock
            engine = self.engine if self.busy and self._handover_done.is_set() else None  # None: not handed over
            if engine is None:
                request_id = min([0] + [p.id for p in self._pending]) - 1
                self._pending.append(PendingRequest(request_id, index, modality, int(copies), epochs))
        if engine is not None:
            request_id = engine.requests.add(index, modality, copies, epochs).id
        self.requests_changed.emit()
        return request_id

    def cancel_request(self, request_id: int) -> None:
        if request_id < 0:
            with self._pending_lock:
                kept = [p for p in self._pending if p.id != request_id]
                found = len(kept) < len(self._pending)
                self._pending = kept
            if not found:
                raise KeyError(f"no pending re-sampling request with id {request_id}")
        else:
            if self.engine is None:
                raise KeyError(f"no re-sampling request with id {request_id}")
            self.engine.requests.cancel(request_id)
        self.requests_changed.emit()

    def request_rows(self) -> list[RequestRow]:
        """The pending requests, then the current (or last) run's requests."""
        with self._pending_lock:
            pending = list(self._pending)
        rows = [RequestRow(p.id, p.modality, p.copies, len(p.sample_index), None, p.epochs, "pending") for p in pending]
        if self.engine is not None:
            next_epoch = self.engine.requests.next_epoch
            rows += [
                RequestRow(r.id, r.modality, r.copies, len(r.sample_index), r.start_epoch, r.epochs,
                           _request_status(r, next_epoch))
                for r in self.engine.requests.list()
            ]
        return rows


class _RequestHandover:
    """An engine-thread listener that queues the kept requests as the run starts (before its first plan)."""

    def __init__(self, engine: Engine, take_pending, done: threading.Event) -> None:
        self.engine, self.take_pending, self.done = engine, take_pending, done

    def __call__(self, event: object) -> None:
        if not isinstance(event, ev.RunStarted) or self.done.is_set():
            return
        for p in self.take_pending():  # sets ``done``; the engine has set the requests' start epoch
            try:
                self.engine.requests.add(p.sample_index, p.modality, p.copies, p.epochs)
            except ValueError as exc:
                self.engine.bus.emit(ev.LogMessage("warning", f"re-sampling request dropped: {exc}"))


def _request_status(request: ResamplingRequest, next_epoch: int) -> str:
    if request.cancelled:
        return "cancelled"
    if request.epochs is not None and next_epoch >= request.start_epoch + request.epochs:
        return "done"
    return "active" if next_epoch > request.start_epoch else "scheduled"
