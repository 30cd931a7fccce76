"""Driving the controller from tests: open something and wait until it is shown, wait for a run's end."""

from __future__ import annotations

from pathlib import Path

from app.controller import AppController, Mode

LOAD_TIMEOUT_MS = 30_000
RUN_TIMEOUT_MS = 90_000


def wait_loaded(qtbot, controller: AppController, timeout: int = LOAD_TIMEOUT_MS) -> None:
    qtbot.waitUntil(lambda: not controller.loading, timeout=timeout)


def open_dataset(qtbot, controller: AppController, path) -> bool:
    """Open a dataset folder and wait for the background read; True when it is shown."""
    if not controller.open_dataset(path):
        return False
    wait_loaded(qtbot, controller)
    dataset = controller.session.dataset
    return controller.mode == Mode.DATASET and dataset is not None and dataset.root == Path(path)


def open_report(qtbot, controller: AppController, path, follow: bool = False) -> bool:
    """Open (or follow) a report and wait for the background read; True when it is shown."""
    if not (controller.follow_report(path) if follow else controller.open_report(path)):
        return False
    wait_loaded(qtbot, controller)
    shown = controller.session.report_path
    return controller.mode in (Mode.REPORT, Mode.FOLLOWING) and shown is not None and Path(shown) == Path(path)


def wait_run_ended(qtbot, controller: AppController, timeout: int = RUN_TIMEOUT_MS) -> None:
    qtbot.waitUntil(lambda: controller.phase not in ("idle", "starting", "running", "paused", "stopping"),
                    timeout=timeout)
    assert not controller.runner.busy


def wait_polled(qtbot, controller: AppController) -> None:
    """One refresh of the followed report, done."""
    task = controller.poll()
    assert task is not None, "nothing followed, or a refresh still going"
    qtbot.waitUntil(task.finished, timeout=LOAD_TIMEOUT_MS)
    qtbot.wait(1)  # its queued result
