"""How responsive the window stays: prints one JSON object.

- ``timer``: lateness of a 60 Hz GUI timer while a model trains in the engine's worker thread (the
  real window, training the audio-visual demo; target p99 <= 50 ms);
- ``sort``: sorting a 100,000-row sample table by φ, view repaint included (target <= 200 ms);
- ``first_frame``: selecting a sample until its first video frame is drawn, while the model trains
  and with nothing else going on (target <= 100 ms);
- ``report_open``: the worst lateness of a 10 ms GUI timer while the window opens a 20,000-sample
  report (read in a background thread, then shown; target <= 100 ms);
- ``cli_startup``: median wall time of ``modalens --version`` (target <= 0.5 s; see cli_startup.py).

The training figures also give the run's throughput meanwhile (samples/s), the price of the engine
thread's lower priority (``--engine-nice``, default the window's own; 0 runs it at the GUI's priority).

Usage: python benchmarks/gui_latency.py [--samples 200 | --data DIR] [--seconds 10] [--frames 20]
       [--engine-nice N] [--training-only] [--out result.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the test suite's report builder
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

TIMER_HZ = 60
TARGETS_MS = {"timer_p99": 50.0, "sort": 200.0, "first_frame": 100.0, "report_open": 100.0}
SORT_ROWS = 100_000
REPORT_SAMPLES = 20_000
REPORT_TICK_MS = 10


def percentiles(values_ms: list[float]) -> dict[str, float]:
    data = np.asarray(values_ms, np.float64)
    return {"p50": round(float(np.percentile(data, 50)), 2), "p99": round(float(np.percentile(data, 99)), 2),
            "max": round(float(data.max()), 2), "count": int(len(data))}


def wait_until(app, condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step timed out")
        app.processEvents()
        time.sleep(0.005)


def timer_lateness(app, seconds: float) -> list[float]:
    """Intervals of a 60 Hz precise timer minus its period, in ms, over ``seconds`` of event loop."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    period_ms = 1000.0 / TIMER_HZ
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(round(period_ms))
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    timer.start()
    loop.exec()
    timer.stop()
    intervals = np.diff(np.asarray(ticks)) * 1000.0
    return np.maximum(intervals - round(period_ms), 0.0).tolist()


def first_frames(app, player, session, samples: list[int]) -> list[float]:
    """Milliseconds from selecting each sample to the player's ``frame_shown``. The wait is an event loop,
    as in the window: it wakes when the frame arrives (a loop that polls and sleeps would add its sleep)."""
    from PySide6.QtCore import QEventLoop, QTimer

    shown: list[float] = []
    loop = QEventLoop()

    def arrived(_index: int) -> None:
        shown.append(time.perf_counter())
        loop.quit()

    player.frame_shown.connect(arrived)
    give_up = QTimer(singleShot=True, interval=10_000)
    give_up.timeout.connect(loop.quit)
    timings = []
    for index in samples:
        before = len(shown)
        start = time.perf_counter()
        session.select([index])
        if len(shown) == before:
            give_up.start()
            loop.exec()
            give_up.stop()
        if len(shown) == before:
            raise TimeoutError(f"no frame of sample {index} within 10 s")
        timings.append((shown[before] - start) * 1000.0)
        app.processEvents()
    player.frame_shown.disconnect(arrived)
    return timings


class Throughput:
    """Training samples per second between its creation and ``stop``, read off the window's progress bar
    (steps done); an epoch's valuation and report writing count as time without steps."""

    def __init__(self, progress_bar, batch_size: int) -> None:
        self.bar, self.batch_size = progress_bar, batch_size
        self.start_steps, self.start = progress_bar.value(), time.perf_counter()
        self.steps, self.samples_per_s = 0, 0.0

    def stop(self) -> None:
        self.steps = int(self.bar.value() - self.start_steps)
        seconds = time.perf_counter() - self.start
        self.samples_per_s = round(self.steps * self.batch_size / max(seconds, 1e-9), 1)


def sort_timings(app) -> list[float]:
    """Milliseconds to sort the browser's 100,000 rows by φ (model sort, view reset and repaint)."""
    from PySide6.QtCore import Qt

    from app.session import Session
    from app.state.samples import SampleSet
    from app.views.browser import SampleBrowser
    from core.valuation.result import ValuationResult

    rng = np.random.default_rng(0)
    n = SORT_ROWS
    dataset = SampleSet(
        root=Path("."), ids=np.array([f"s{i:06d}" for i in range(n)], dtype=object),
        labels=rng.integers(0, 10, n), class_names=[f"class{k}" for k in range(10)],
        splits=np.array(["train"] * n, dtype=object), modalities=["video", "audio"],
        modality_kinds={"video": "video", "audio": "audio"},
        media={m: np.array([f"{m}/{i}" for i in range(n)], dtype=object) for m in ("video", "audio")}, metadata={},
    )
    session = Session()
    session.set_dataset(dataset)
    phi = rng.normal(size=(n, 2)).astype(np.float32)
    session.add_valuation(ValuationResult(0, "train", "benefit", ["video", "audio"], np.arange(n), phi,
                                          np.zeros((n, 4), np.float32), rng.integers(0, 10, n), rng.random(n) > 0.5))
    browser = SampleBrowser(session)
    browser.resize(1200, 700)
    browser.show()
    app.processEvents()
    column = browser.model.column_index("phi:video")
    timings = []
    for order in [Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder] * 4:
        start = time.perf_counter()
        browser.view.sortByColumn(column, order)
        browser.view.viewport().repaint()
        timings.append((time.perf_counter() - start) * 1000.0)
    browser.close()
    return timings


def report_open_stall(app, window, folder: Path) -> dict[str, float]:
    """Worst lateness (ms) of a 10 ms timer while ``window`` opens a 20,000-sample, 3-epoch report."""
    from PySide6.QtCore import Qt, QTimer

    from core.report.writer import ReportWriter
    from tests.report import run_events

    def write(path: Path, samples: int, epochs: int) -> Path:
        writer = ReportWriter(path)
        for event in run_events.run(run_events.prepared(samples), epochs=epochs):
            writer(event)
        writer.close()
        return path

    big, small = write(folder / "big.h5", REPORT_SAMPLES, 3), write(folder / "small.h5", 50, 1)
    control = window.controller
    control.open_report(small)  # the reader's first use, outside the measurement
    wait_until(app, lambda: not control.loading, 60.0)
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(REPORT_TICK_MS)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    shown: dict[str, float] = {}
    window.session.dataset_changed.connect(lambda: shown.setdefault("at", time.perf_counter()))
    timer.start()
    wait_until(app, lambda: len(ticks) > 5, 5.0)
    start = time.perf_counter()
    control.open_report(big)
    wait_until(app, lambda: not control.loading and window.browser.model.rowCount() == REPORT_SAMPLES, 60.0)
    settle = time.perf_counter()
    wait_until(app, lambda: time.perf_counter() - settle > 0.5, 5.0)
    timer.stop()
    times = np.asarray(ticks)

    def worst(lo: float, hi: float) -> float:
        kept = times[(times >= lo) & (times <= hi)]
        return round(float(max(np.diff(kept).max() * 1000.0 - REPORT_TICK_MS, 0.0)), 1) if len(kept) > 1 else 0.0

    return {"samples": REPORT_SAMPLES, "worst_stall_ms": worst(start, times[-1]),
            "worst_stall_while_reading_ms": worst(start, shown.get("at", start)),
            "read_s": round(shown.get("at", start) - start, 3), "target_ms": TARGETS_MS["report_open"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=200, help="size of the audio-visual demo made to train on")
    parser.add_argument("--data", help="train on this dataset folder instead (e.g. the 1000-sample demo)")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to measure the timer")
    parser.add_argument("--frames", type=int, default=20, help="samples selected while training")
    parser.add_argument("--engine-nice", type=int, help="nice steps the engine's thread takes below the GUI's")
    parser.add_argument("--switch-ms", type=float,
                        help="Python's thread switch interval while the run trains (default the window's own)")
    parser.add_argument("--training-only", action="store_true",
                        help="only the figures taken while training (timer, first frame)")
    parser.add_argument("--out", help="also write the JSON to this file")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    from app.main import _headless_window, create_application
    from core.demo import generate_demo

    app = create_application()
    result: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                                             "platform": app.platformName(), "load_average": os.getloadavg()}}
    with tempfile.TemporaryDirectory(prefix="modalens-bench-") as tmp:
        data = args.data or generate_demo(Path(tmp) / "demo", preset="balanced", samples=args.samples)
        window = _headless_window(Path(tmp))
        window.resize(1440, 900)
        window.show()
        try:
            control = window.controller
            control.open_dataset(data)
            wait_until(app, lambda: not control.loading, 60.0)
            session = window.session
            if args.engine_nice is not None:
                control.runner.engine_nice = args.engine_nice
            if args.switch_ms is not None:
                control.runner.switch_interval_s = args.switch_ms / 1000.0
            result["machine"]["engine_nice"] = control.runner.engine_nice
            result["machine"]["switch_ms"] = control.runner.switch_interval_s * 1000.0
            idle_samples = list(range(1, 21))
            idle = first_frames(app, window.player, session, [0] + idle_samples)
            window.training.epochs.setValue(1000)
            start = time.perf_counter()
            window.start_training()
            wait_until(app, lambda: session.run_state == "running", 600.0)
            prepared_s = time.perf_counter() - start
            batch = control.runner.engine.config.optim.batch_size
            timer_rate = Throughput(window.progress, batch)
            lateness = timer_lateness(app, args.seconds)
            timer_rate.stop()
            frame_rate = Throughput(window.progress, batch)
            busy = first_frames(app, window.player, session, [21 + k % 180 for k in range(args.frames)])
            frame_rate.stop()
            control.runner.stop(wait=True)
            wait_until(app, lambda: not control.training, 60.0)
            report_open = None if args.training_only else report_open_stall(app, window, Path(tmp))
        finally:
            window.close()
    result["timer"] = {**percentiles(lateness), "hz": TIMER_HZ, "seconds": args.seconds,
                       "training_steps_meanwhile": timer_rate.steps,
                       "training_samples_per_s": timer_rate.samples_per_s, "data_prepared_s": round(prepared_s, 2),
                       "target_p99_ms": TARGETS_MS["timer_p99"]}
    result["first_frame"] = {"idle_first_ms": round(idle[0], 2), "idle": percentiles(idle[1:]),
                             "while_training": percentiles(busy),
                             "training_samples_per_s": frame_rate.samples_per_s, "target_ms": TARGETS_MS["first_frame"]}
    if args.training_only:
        return finish(result, args.out)
    sort = sort_timings(app)
    result["sort"] = {"rows": SORT_ROWS, **percentiles(sort), "target_ms": TARGETS_MS["sort"]}
    result["report_open"] = report_open
    from cli_startup import modalens_command, wall_times  # beside this script

    startup = statistics.median(wall_times([*modalens_command(), "--version"], 5))
    result["cli_startup"] = {"modalens_version_median_s": round(startup, 3), "target_s": 0.5}
    result["meets_targets"] = {
        "timer_p99": result["timer"]["p99"] <= TARGETS_MS["timer_p99"],
        "sort_p50": result["sort"]["p50"] <= TARGETS_MS["sort"],
        "first_frame_p50_idle": result["first_frame"]["idle"]["p50"] <= TARGETS_MS["first_frame"],
        "first_frame_p50_training": result["first_frame"]["while_training"]["p50"] <= TARGETS_MS["first_frame"],
        "report_open_worst": report_open["worst_stall_ms"] <= TARGETS_MS["report_open"],
        "cli_startup": startup <= 0.5,
    }
    return finish(result, args.out)


def finish(result: dict[str, object], out: str | None) -> int:
    """Print the JSON (and write it to ``out``)."""
    text = json.dumps(result, indent=2)
    print(text)
    if out:
        Path(out).write_text(text + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
