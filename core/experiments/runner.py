"""Running the cells of a grid on this machine, ``jobs`` at a time.

Each cell is an ordinary run folder (``config.toml``, ``report.h5``, ``checkpoints/``) plus
``outcome.json``. A run whose report says finished is skipped; one with a checkpoint continues from
``checkpoints/last.pt``; a run that fails records its reason and the others go on. One run at a time
trains in this process; more train in spawned processes, one GPU each when there are GPUs. Ctrl-C or
SIGTERM stops every run at its next step with a checkpoint, so the same command continues the grid.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from core import events as ev
from core.config import ConfigError, RunConfig
from core.experiments.grid import Cell
from core.experiments.outcome import CellResult, write_outcome
from core.run_files.layout import CONFIG_NAME
from core.run_files.state import RunState, ended_state
from core.runs.folder import RunFolder

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
POLL_S = 0.2


@dataclass
class Channel:
    """How a run reports its progress (``sink.put(message)``) and learns that the grid stops (``stop``)."""

    stop: Any
    sink: Any


class _Discard:
    def put(self, message: tuple[Any, ...]) -> None:
        pass


_WORKER_CHANNEL: Channel | None = None
"""The channel of a worker process, set by :func:`_init_worker`."""


def is_finished(run_dir: Path) -> bool:
    """True when the run folder's report says the run trained every epoch."""
    return RunFolder(run_dir).state() == RunState.FINISHED


def config_difference(run_dir: Path, config: RunConfig) -> str:
    """The first key where the config a run folder was started with differs from ``config`` ("" if none)."""
    path = RunFolder(run_dir).config
    if not path.is_file():
        return ""
    try:
        stored = RunConfig.from_toml(path.read_text(encoding="utf-8"), str(path)).to_dict()
    except (OSError, UnicodeDecodeError, ConfigError) as exc:
        return f"unreadable ({exc})"
    return _first_difference(stored, config.to_dict(), "")


def _first_difference(a: Any, b: Any, key: str) -> str:
    if isinstance(a, dict) and isinstance(b, dict):
        for name in sorted(set(a) | set(b)):
            found = _first_difference(a.get(name), b.get(name), f"{key}.{name}" if key else name)
            if found:
                return found
        return ""
    return "" if a == b else f"{key} ({a!r} there, {b!r} in the spec)"


def run_cell(run_dir: str, config_toml: str, channel: Channel | None = None) -> CellResult | None:
    """Train (or skip, or continue) the run of one cell; never raises for a failing run. None when the
    grid was stopped before this run started."""
    channel = channel or _WORKER_CHANNEL or Channel(threading.Event(), _Discard())
    folder = Path(run_dir)
    name = folder.name
    if channel.stop.is_set():
        return None
    start = time.monotonic()
    try:
        result = _train(RunFolder(folder), RunConfig.from_toml(config_toml, f"{name}/{CONFIG_NAME}"), channel, start)
    except Exception as exc:  # noqa: BLE001 - one run's failure is recorded, the grid goes on
        result = CellResult(name, RunState.FAILED, f"{type(exc).__name__}: {exc}", time.monotonic() - start)
    if result.state != RunState.SKIPPED:
        with contextlib.suppress(OSError):
            write_outcome(folder, result)
    channel.sink.put(("end", name, asdict(result)))
    return result


def _train(folder: RunFolder, config: RunConfig, channel: Channel, start: float) -> CellResult:
    from core.runs.start import start_run

    name = folder.path.name
    if is_finished(folder.path):
        return CellResult(name, RunState.SKIPPED)
    difference = config_difference(folder.path, config)
    if difference:
        return CellResult(
            name,
            RunState.FAILED,
            f"{folder.path} holds a run of another config: {difference}; remove it or use another --out",
        )
    last = folder.last_checkpoint
    engine = start_run(config, folder.path, resume_from=last if last.is_file() else None)
    watcher = _Watcher(name, engine, channel)
    engine.bus.subscribe(watcher)
    outcome = engine.run()
    seconds = time.monotonic() - start
    state = ended_state(outcome.stopped, outcome.failed)
    return CellResult(name, state, outcome.error or "", seconds, watcher.start_epoch, watcher.test_acc)


class _Watcher:
    """Passes a run's progress to the grid's display and stops the run when the grid stops."""

    def __init__(self, name: str, engine: Any, channel: Channel) -> None:
        self.name, self.engine, self.channel = name, engine, channel
        self.start_epoch = 0
        self.test_acc: float | None = None

    def __call__(self, event: Any) -> None:
        if isinstance(event, ev.RunStarted):
            self.start_epoch = event.start_epoch
            self.channel.sink.put(("start", self.name, event.start_epoch))
        elif isinstance(event, ev.EpochMetrics):
            self.test_acc = event.metrics.get("test/acc")
            self.channel.sink.put(("epoch", self.name, event.epoch + 1))
        if isinstance(event, ev.RunStarted | ev.Progress) and self.channel.stop.is_set():
            self.engine.request_stop()


def default_jobs(cells: list[Cell]) -> int:
    """One run per GPU when the runs may use GPUs and there are some, else one per two cores."""
    gpus = _gpus_to_pin(cells)
    return gpus or max(1, _cores() // 2)


def _gpus_to_pin(cells: list[Cell]) -> int:
    """The GPUs to spread runs over: their number when every run picks its device itself, else 0."""
    if not all(cell.config.runtime.device in ("auto", "cuda") for cell in cells):
        return 0
    import torch

    return torch.cuda.device_count()


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def run_local(cells: list[Cell], jobs: int, progress: Any) -> list[CellResult]:
    """Run ``cells`` (``jobs`` at once), passing progress messages to ``progress.put``; returns the results
    of the runs that were started or skipped (fewer when the grid was stopped)."""
    todo = [(str(cell.run_dir), cell.config.to_toml()) for cell in cells]
    if jobs <= 1 or len(todo) <= 1:
        return _run_in_turn(todo, progress)
    context = multiprocessing.get_context("spawn")
    stop, messages, slots = context.Event(), context.Queue(), context.Value("i", 0)
    threads = max(1, _cores() // jobs)
    init = (stop, messages, slots, _gpus_to_pin(cells), threads)
    results: list[CellResult] = []
    with (
        _stopping_on_signals(stop),
        ProcessPoolExecutor(jobs, mp_context=context, initializer=_init_worker, initargs=init) as pool,
    ):
        pending: dict[Future, str] = {pool.submit(run_cell, run_dir, text): run_dir for run_dir, text in todo}
        while pending:
            _forward(messages, progress, POLL_S)
            if stop.is_set():
                for future in pending:
                    future.cancel()
            for future in [f for f in pending if f.done()]:
                run_dir = pending.pop(future)
                result = None if future.cancelled() else _result_of(future, run_dir, progress)
                if result is not None:
                    results.append(result)
        _forward(messages, progress, 0)
    return results


def _run_in_turn(todo: list[tuple[str, str]], progress: Any) -> list[CellResult]:
    """Run each (run folder, config text) of ``todo`` in this process, one after the other."""
    stop = threading.Event()
    channel = Channel(stop, progress)
    with _stopping_on_signals(stop):
        started = [run_cell(run_dir, text, channel) for run_dir, text in todo if not stop.is_set()]
        return [result for result in started if result is not None]


def _result_of(future: Future, run_dir: str, progress: Any) -> CellResult | None:
    """The run's result; a worker that died (killed, out of memory) makes a failed one."""
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - the process running the cell is gone
        result = CellResult(
            Path(run_dir).name, RunState.FAILED, f"the process running it ended: {type(exc).__name__}: {exc}"
        )
        with contextlib.suppress(OSError):
            write_outcome(Path(run_dir), result)
        progress.put(("end", result.name, asdict(result)))
        return result


def _forward(messages: Any, progress: Any, timeout: float) -> None:
    """Pass every waiting message on to the display, waiting up to ``timeout`` for the first."""
    try:
        progress.put(messages.get(timeout=timeout) if timeout else messages.get_nowait())
        while True:
            progress.put(messages.get_nowait())
    except queue.Empty:
        pass


def _init_worker(stop: Any, messages: Any, slots: Any, gpus: int, threads: int) -> None:
    """Set up a worker process: its channel, its GPU, its torch threads; Ctrl-C is the parent's to handle."""
    global _WORKER_CHANNEL
    _WORKER_CHANNEL = Channel(stop, messages)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    with slots.get_lock():
        slot = slots.value
        slots.value += 1
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(slot % gpus)
    import torch

    torch.set_num_threads(threads)


@contextlib.contextmanager
def _stopping_on_signals(stop: Any) -> Iterator[None]:
    """Ctrl-C and SIGTERM set ``stop``: the runs save a checkpoint at their next step and no new run starts."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: object) -> None:
        if not stop.is_set():
            os.write(2, f"\n{signal.Signals(signum).name}: stopping every run at its next step...\n".encode())
        stop.set()

    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
