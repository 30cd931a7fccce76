"""Background jobs (scanning a manifest, reading a report or a checkpoint, exporting, making the demo data).

A job is a plain function taking a :class:`TaskState`; it runs in its own short-lived QThread and may
report progress through the state and look at ``state.cancelled`` (or call ``state.check()``) to give
up early. Its result or exception comes back to the GUI thread as a queued signal; a cancelled task
emits neither. :class:`TaskSlots` keeps one task per kind: starting a task of a kind cancels the one
running before it ("the latest request wins"), and ``wait_all()`` joins every thread (the controller
calls it when the window closes, so no thread outlives the window).

Modules the jobs would import lazily on first use are imported in the GUI thread before a task starts
(see :mod:`app.preimport` for why an import in a worker thread is avoided).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from app.preimport import import_in_gui_thread

PROGRESS_INTERVAL_S = 0.05  # at most 20 progress signals a second reach the GUI thread


class Cancelled(Exception):
    """Raised by :meth:`TaskState.check` in a job whose task was cancelled."""


class TaskState:
    """What a running job sees of its task: cancellation and a throttled progress callback (the ``steps`` a
    core job such as :func:`core.runs.value.value_split` reports to)."""

    def __init__(self, emit: Callable[[int, int, str], None]) -> None:
        self._emit = emit
        self._cancel = threading.Event()
        self._last = 0.0

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        self._cancel.set()

    def check(self) -> None:
        """Raise :class:`Cancelled` when the task was cancelled."""
        if self._cancel.is_set():
            raise Cancelled

    def progress(self, done: int, total: int, text: str = "") -> None:
        """Report ``done`` of ``total`` (``total`` 0: unknown); the first and last reports always go out."""
        now = time.monotonic()
        if done in (0, total) or now - self._last >= PROGRESS_INTERVAL_S:
            self._last = now
            self._emit(done, total, text)


Job = Callable[[TaskState], Any]


class _Runner(QObject):
    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object)  # the exception

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job
        self.state = TaskState(self.progress.emit)

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self.state)
        except Cancelled:
            pass
        except Exception as exc:  # noqa: BLE001 - handed to the GUI thread, which shows it
            self.failed.emit(exc)
        else:
            self.done.emit(result)
        finally:
            QThread.currentThread().quit()


class BackgroundTask(QObject):
    """Runs ``job`` once in a new thread; emits ``progress``, then ``done(result)`` or ``failed(exception)``
    unless it was cancelled, and ``ended`` in every case once its thread has stopped."""

    progress = Signal(int, int, str)
    done = Signal(object)
    failed = Signal(object)
    ended = Signal()

    def __init__(self, job: Job, name: str = "modalens-task", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self._thread = QThread(self)
        self._thread.setObjectName(name)
        self._runner = _Runner(job)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._thread.finished.connect(self.ended)
        self._runner.progress.connect(self._relay_progress)
        self._runner.done.connect(self._relay_done)
        self._runner.failed.connect(self._relay_failed)

    @property
    def cancelled(self) -> bool:
        return self._runner.state.cancelled

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        """Ask the job to give up; whatever it still returns or raises is dropped."""
        self._runner.state.cancel()

    def finished(self) -> bool:
        return self._thread.isFinished()

    def running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, timeout_ms: int | None = None) -> bool:
        """Block until the job's thread has ended (without a limit by default); True when it has."""
        return self._thread.wait() if timeout_ms is None else self._thread.wait(timeout_ms)

    # the runner's signals arrive queued; a cancel made meanwhile still drops them
    @Slot(int, int, str)
    def _relay_progress(self, done: int, total: int, text: str) -> None:
        if not self.cancelled:
            self.progress.emit(done, total, text)

    @Slot(object)
    def _relay_done(self, result: object) -> None:
        if not self.cancelled:
            self.done.emit(result)

    @Slot(object)
    def _relay_failed(self, exc: object) -> None:
        if not self.cancelled:
            self.failed.emit(exc)


class TaskSlots(QObject):
    """One background task per kind; a new task of a kind cancels the previous one of that kind."""

    changed = Signal()  # a task started or ended

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._current: dict[str, BackgroundTask] = {}  # running and not cancelled
        self._latest: dict[str, BackgroundTask] = {}  # the last started, ended or not (callers may still ask it)
        self._all: list[BackgroundTask] = []

    def start(
        self,
        kind: str,
        job: Job,
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
        progress: Callable[[int, int, str], None] | None = None,
    ) -> BackgroundTask:
        """Start ``job`` as the task of ``kind`` (cancelling the one before), calling ``done(result)``,
        ``failed(exception)`` and ``progress(done, total, text)`` in the GUI thread."""
        import_in_gui_thread()
        old = self._current.get(kind)
        if old is not None:
            old.cancel()
        task = BackgroundTask(job, f"modalens-{kind}", self)
        for signal, slot in ((task.done, done), (task.failed, failed), (task.progress, progress)):
            if slot is not None:
                signal.connect(slot)
        task.ended.connect(lambda: self._ended(kind, task))
        self._latest[kind] = task
        self._release_ended()
        self._all.append(task)
        self._current[kind] = task
        task.start()
        self.changed.emit()
        return task

    def _release_ended(self) -> None:
        """Delete the ended tasks no one can ask about any more (a live report's refresh starts one a second)."""
        keep = set(map(id, self._latest.values()))
        for task in [t for t in self._all if t.finished() and id(t) not in keep]:
            self._all.remove(task)
            task.deleteLater()

    def _ended(self, kind: str, task: BackgroundTask) -> None:
        if self._current.get(kind) is task:
            del self._current[kind]
        self.changed.emit()

    def active(self, *kinds: str) -> bool:
        """True while a task of one of ``kinds`` (any kind when none given) has not been cancelled or ended."""
        return any(not t.cancelled for k, t in self._current.items() if not kinds or k in kinds)

    def cancel(self, kind: str) -> None:
        task = self._current.get(kind)
        if task is not None:
            task.cancel()

    def wait_all(self) -> None:
        """Cancel every task and join its thread."""
        for task in self._all:
            task.cancel()
        for task in self._all:
            task.wait()

