"""Fixtures of the app tests: tiny demo datasets, a window with throw-away settings, and thread checks."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _qt_deletes_widgets_before_python(qapp):
    """No garbage collection while a test runs; afterwards its windows are deleted by Qt, then collected.

    pyqtgraph's items form reference cycles; left to the collector, a plot's Python half can be torn
    down while Qt still paints the plot (pytest-qt processes events right after each test), which
    crashes the process. The app itself avoids this by deleting its window explicitly (app.main.dispose).
    """
    from PySide6.QtCore import QCoreApplication, QEvent

    before = set(map(id, qapp.topLevelWidgets()))
    gc.disable()
    try:
        yield
    finally:
        for widget in qapp.topLevelWidgets():
            if id(widget) not in before:
                widget.close()
                widget.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.enable()
        gc.collect()


@pytest.fixture(scope="session")
def av_demo(tmp_path_factory) -> Path:
    """A 40-sample audio-visual demo (small video and audio files)."""
    from core.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo") / "balanced", preset="balanced", samples=40)


@pytest.fixture(scope="session")
def vector_demo(tmp_path_factory) -> Path:
    """A 48-sample two-modality vector demo (no media decoding: the fastest real dataset)."""
    from core.demo import generate_demo

    return generate_demo(tmp_path_factory.mktemp("demo") / "vectors", preset="vectors", samples=48)


@dataclass(frozen=True)
class RecordedRun:
    """A finished 2-epoch run on the vector demo: its folder, report and every event it emitted, in order.

    A user request (modality x2 ×2, for one epoch) was added when the run started, so epoch 0's plan
    holds it."""

    run_dir: Path
    report: Path
    events: list
    request_samples: np.ndarray


@pytest.fixture(scope="session")
def vector_run(tmp_path_factory, vector_demo) -> RecordedRun:
    from core import events as ev
    from core.config import RunConfig
    from core.report.writer import ReportWriter
    from core.training.engine import Engine

    config = RunConfig()
    config.data.path = str(vector_demo)
    config.optim.batch_size = 16
    config.optim.epochs = 2
    config.valuation.splits = ["train"]  # the flows below count one valuation per epoch
    run_dir = tmp_path_factory.mktemp("runs") / "vector-run"
    engine = Engine(config, run_dir)
    events: list = []
    samples = np.arange(0, 12)

    def request_on_start(event) -> None:
        if isinstance(event, ev.RunStarted):
            train = event.dataset.samples.split_indices("train")
            engine.requests.add(np.intersect1d(samples, train), "x2", copies=2, epochs=1)

    engine.bus.subscribe(request_on_start)
    engine.bus.subscribe(ReportWriter(run_dir / "report.h5"))
    engine.bus.subscribe(events.append)
    outcome = engine.run()
    assert not outcome.failed, [e for e in events if isinstance(e, ev.RunFailed)]
    train = next(e for e in events if isinstance(e, ev.RunStarted)).dataset.samples.split_indices("train")
    return RecordedRun(run_dir, run_dir / "report.h5", events, np.intersect1d(samples, train))


@pytest.fixture
def settings(tmp_path):
    from app.settings import AppSettings

    settings = AppSettings(tmp_path / "settings.ini")
    settings.runs_dir = tmp_path / "runs"
    return settings


@pytest.fixture
def make_window(qtbot, settings):
    """Builds main windows (offscreen, auto-answering prompter); closes them and checks their threads ended."""
    from app.prompts import AutoPrompter
    from app.window import MainWindow

    windows = []

    def build(prompter: AutoPrompter | None = None, size: tuple[int, int] | None = (1366, 768)) -> MainWindow:
        window = MainWindow(settings=settings, prompter=prompter or AutoPrompter())
        qtbot.addWidget(window)
        window.training.runs_folder.setText(str(settings.runs_dir))
        if size is not None:
            window.resize(*size)
        window.show()
        windows.append(window)
        return window

    yield build
    for window in windows:
        window.close()
        assert not window.controller.runner.busy
        assert window.controller.runner.worker_thread.wait(10_000), "the engine thread did not end"
        assert not window.curves.timer.isActive()
        assert not window.controller.timer.isActive()
        assert not window.controller.tasks.active(), "a background task was left running"


@pytest.fixture
def make_controller(qtbot, settings):
    """Builds controllers without a window (auto-answering prompter); shuts them down after the test."""
    from app.controller import AppController
    from app.prompts import AutoPrompter
    from app.session import Session

    controllers = []

    def build(prompter: AutoPrompter | None = None) -> AppController:
        controller = AppController(Session(), settings, prompter or AutoPrompter())
        controllers.append(controller)
        return controller

    yield build
    for controller in controllers:
        controller.shutdown()
        assert controller.runner.worker_thread.wait(10_000)
        assert not controller.timer.isActive()
