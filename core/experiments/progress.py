"""One progress display for a whole grid: a line per run that ends, and on a terminal one status line
(runs done, running and failed, epochs done, elapsed and time left) rewritten in place."""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from core.experiments.outcome import CellResult
from core.run_files.state import RunState
from core.text import format_seconds


class GridProgress:
    """Receives ``("start", name, start_epoch)``, ``("epoch", name, epochs_done)``, ``("end", name, result
    as a dict)`` and ``("note", "", text)`` messages through :meth:`put`, from this process or from the
    runs' processes."""

    def __init__(self, epochs: dict[str, int], stream: IO[str] | None = None) -> None:
        self.epochs = dict(epochs)
        """Epochs of each run to do, by run name."""
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.done_epochs = dict.fromkeys(epochs, 0)
        self.running: set[str] = set()
        self.results: list[CellResult] = []
        self.start = time.monotonic()
        self.trained = 0
        """Epochs trained since this display started (the rate behind the time left)."""

    def put(self, message: tuple[Any, ...]) -> None:
        kind, name, value = message
        if kind == "note":
            self._line(value)
        elif kind == "start":
            self.running.add(name)
            self.done_epochs[name] = value
        elif kind == "epoch":
            self.trained += max(0, value - self.done_epochs.get(name, 0))
            self.done_epochs[name] = value
        elif kind == "end":
            result = CellResult(**value)
            self.running.discard(name)
            if result.state in (RunState.FINISHED, RunState.SKIPPED):
                self.done_epochs[name] = self.epochs.get(name, 0)
            self.results.append(result)
            self._line(f"[{len(self.results)}/{len(self.epochs)}] {result.describe()}")
        self._status()

    def _status(self) -> None:
        if not self.tty:
            return
        done, total = sum(self.done_epochs.values()), sum(self.epochs.values())
        elapsed = time.monotonic() - self.start
        left = elapsed / self.trained * (total - done) if self.trained else None
        failed = sum(1 for r in self.results if r.state == RunState.FAILED)
        self.stream.write(
            f"\r\033[Kgrid: {len(self.results)}/{len(self.epochs)} runs done ({len(self.running)} running, "
            f"{failed} failed), {done}/{total} epochs, elapsed {format_seconds(elapsed)}, left {format_seconds(left)}"
        )
        self.stream.flush()

    def _line(self, text: str) -> None:
        self.stream.write(("\r\033[K" if self.tty else "") + text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
            self.stream.flush()
