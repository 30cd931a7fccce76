"""One-off background jobs (creating the demo data) in their own short-lived QThread.

The job is a plain function taking a ``progress(done, total)`` callback; it runs in the thread, its
progress, result or error come back as queued signals. ``wait()`` joins the thread (the window calls it
when closing, so no thread outlives the window).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

Job = Callable[[Callable[[int, int], None]], Any]


class _Runner(QObject):
    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Job) -> None:
        super().__init__()
        self._job = job

    @Slot()
    def run(self) -> None:
        try:
            result = self._job(self.progress.emit)
        except Exception as exc:  # noqa: BLE001 - reported to the window as a message
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.done.emit(result)
        finally:
            QThread.currentThread().quit()


class BackgroundTask(QObject):
    """Runs ``job`` once in a new thread; emits ``progress``, then ``done(result)`` or ``failed(message)``."""

    progress = Signal(int, int)
    done = Signal(object)
    failed = Signal(str)

    def __init__(self, job: Job, name: str = "modalens-task", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread = QThread(self)
        self._thread.setObjectName(name)
        self._runner = _Runner(job)
        self._runner.moveToThread(self._thread)
        self._thread.started.connect(self._runner.run)
        self._runner.progress.connect(self.progress)
        self._runner.done.connect(self.done)
        self._runner.failed.connect(self.failed)

    def start(self) -> None:
        self._thread.start()

    def finished(self) -> bool:
        return self._thread.isFinished()

    def wait(self, timeout_ms: int | None = None) -> bool:
        """Block until the job's thread has ended (without a limit by default); True when it has."""
        return self._thread.wait() if timeout_ms is None else self._thread.wait(timeout_ms)
