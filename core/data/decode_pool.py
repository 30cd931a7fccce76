"""A pool of decoding processes that bounds the work in flight and replaces workers that stop.

``DecodePool.run(items)`` yields ``(index, result, problem)`` for every item in the order results come:
``function(item)`` computed in a worker, or ``problem`` (a one-line reason, ``result`` None) when it
could not be computed. Each worker holds at most ``depth`` items at a time, so at most ``workers ×
depth`` results exist before the consumer takes them: a consumer that falls behind (a slow disk, a busy
machine) holds the workers back instead of piling their results up in memory.

A worker whose current item takes longer than ``timeout_s`` (stopped with SIGSTOP, stuck in a decoder)
or that dies (killed, crashed) is killed and replaced; its item is tried once more, then reported as a
problem. ``stop()`` is checked several times a second, so a stop ends the run even while every worker
is stuck; leaving the generator early kills every worker.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import struct
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, cast

POLL_S = 0.2
"""How often the pool looks at ``stop()`` and at the workers' clocks while no result comes."""
_FRAME = struct.Struct("!Q")  # a message's length, before its pickle
_READ_BYTES = 1 << 20
STARTUP_S = 120.0
"""Extra time a new worker has for its first item (starting Python and importing the decoders)."""


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    items: deque[int] = field(default_factory=deque)  # indices sent, the first one being worked on
    since: float = field(default_factory=time.monotonic)  # when the first of ``items`` started
    ready: bool = False  # started up (imports done): until then the clock allows ``STARTUP_S`` more
    received: bytearray = field(default_factory=bytearray)  # the start of a message still arriving

    def read(self) -> list[Any] | None:
        """The messages completed by the bytes waiting in the pipe (never blocks: a worker stopped
        half-way through a message leaves it incomplete), or None when the worker has gone."""
        try:
            data = os.read(self.conn.fileno(), _READ_BYTES)
        except OSError:
            return None
        if not data:
            return None
        self.received += data
        self.since = time.monotonic()  # it is alive and sending: its clock starts again
        messages = []
        while len(self.received) >= _FRAME.size:
            (size,) = _FRAME.unpack_from(self.received)
            if len(self.received) < _FRAME.size + size:
                break
            messages.append(pickle.loads(self.received[_FRAME.size : _FRAME.size + size]))
            del self.received[: _FRAME.size + size]
        return messages


class DecodePool:
    """``workers`` processes computing ``function`` (picklable, top level) over items; see the module."""

    def __init__(
        self,
        function: Callable[[Any], Any],
        workers: int,
        depth: int = 2,
        timeout_s: float = 300.0,
        initializer: Callable[[], None] | None = None,
    ) -> None:
        if workers < 1 or depth < 1:
            raise ValueError(f"a decode pool needs workers >= 1 and depth >= 1, got {workers} and {depth}")
        self.function, self.workers, self.depth = function, workers, depth
        self.timeout_s, self.initializer = timeout_s, initializer
        self.outstanding = 0
        """Items sent to workers whose result the consumer has not taken yet (at most workers × depth)."""
        self._context = multiprocessing.get_context("spawn")  # safe beside Qt and CUDA threads

    def run(
        self, items: Sequence[Any], stop: Callable[[], bool] | None = None
    ) -> Iterator[tuple[int, Any, str | None]]:
        """Every item's ``(index, result, problem)``; ends early, without error, once ``stop()`` is True."""
        pending: deque[int] = deque(range(len(items)))
        tries: dict[int, int] = {}
        workers = [self._start() for _ in range(min(self.workers, len(items)))]
        try:
            while pending or any(w.items for w in workers):
                for i, worker in enumerate(workers):
                    if not self._feed(worker, pending, items) and not worker.items:
                        self._end(worker, kill=True)  # died idle: nothing of its own to give back
                        workers[i] = self._start()
                if stop is not None and stop():
                    return
                busy = {w.conn: w for w in workers if w.items or not w.ready}
                for conn in wait(list(busy), timeout=POLL_S):
                    worker = busy[cast(Connection, conn)]
                    messages = worker.read()
                    if messages is None:
                        worker.process.join(1)
                        reason = f"the decoding process ended unexpectedly (exit code {worker.process.exitcode})"
                        yield from self._replace(workers, worker, pending, tries, reason)
                        continue
                    for message in messages:
                        if message is None:  # started up: the clock of its first item starts now
                            worker.ready = True
                            continue
                        index, result = message
                        worker.items.popleft()
                        self.outstanding -= 1
                        if isinstance(result, _Raised):
                            yield index, None, result.message
                        else:
                            yield index, result, None
                now = time.monotonic()
                for worker in list(workers):
                    limit = self.timeout_s + (0 if worker.ready else STARTUP_S)
                    if worker.items and now - worker.since > limit:
                        reason = f"decoding took longer than {self.timeout_s:g} s (the process was stuck or stopped)"
                        yield from self._replace(workers, worker, pending, tries, reason)
        finally:
            for worker in workers:
                self._end(worker)

    def _feed(self, worker: _Worker, pending: deque[int], items: Sequence[Any]) -> bool:
        """Send ``worker`` items up to the depth; False when its pipe is broken (the process died), in which
        case the item stays pending."""
        while pending and len(worker.items) < self.depth:
            index = pending[0]
            try:
                worker.conn.send((index, items[index]))
            except OSError:
                return False
            pending.popleft()
            if not worker.items:
                worker.since = time.monotonic()
            worker.items.append(index)
            self.outstanding += 1
        return True

    def _replace(
        self, workers: list[_Worker], worker: _Worker, pending: deque[int], tries: dict[int, int], reason: str
    ) -> Iterator[tuple[int, Any, str | None]]:
        """Kill ``worker``, start another, and give its items back: the one it was on is tried once more,
        then reported with ``reason``."""
        self._end(worker, kill=True)
        workers[workers.index(worker)] = self._start()
        self.outstanding -= len(worker.items)
        current, *waiting = worker.items
        pending.extendleft(reversed(waiting))
        tries[current] = tries.get(current, 0) + 1
        if tries[current] > 1:
            yield current, None, f"{reason}, twice"
        else:
            pending.appendleft(current)

    def _start(self) -> _Worker:
        mine, theirs = self._context.Pipe()
        process = self._context.Process(
            target=_serve, args=(theirs, self.function, self.initializer), daemon=True, name="modalens-decoder"
        )
        process.start()
        theirs.close()
        return _Worker(process, mine)

    @staticmethod
    def _end(worker: _Worker, kill: bool = False) -> None:
        if not kill and worker.process.is_alive():
            try:
                worker.conn.send(None)
                worker.process.join(2)
            except OSError:
                pass
        if worker.process.is_alive():
            worker.process.kill()  # SIGKILL also ends a stopped process
            worker.process.join(5)
        worker.conn.close()


@dataclass(frozen=True)
class _Raised:
    """An exception ``function`` raised in a worker, as one line."""

    message: str


def _serve(conn: Connection, function: Callable[[Any], Any], initializer: Callable[[], None] | None) -> None:
    """A worker's loop: compute each item received until told to end (None) or the pipe closes."""
    if initializer is not None:
        initializer()
    try:
        _send(conn, None)  # ready
        while True:
            message = conn.recv()
            if message is None:
                return
            index, item = message
            try:
                result = function(item)
            except Exception as exc:  # noqa: BLE001 - one file's unexpected failure is that file's problem
                result = _Raised(f"decoding failed ({type(exc).__name__}: {exc})")
            _send(conn, (index, result))
    except (EOFError, OSError):  # the pool went away
        return


def _send(conn: Connection, message: Any) -> None:
    """One message to the pool: its length, then its pickle (read back by ``_Worker.read``)."""
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_FRAME.pack(len(data)) + data)
    while len(view):
        view = view[os.write(conn.fileno(), view) :]
