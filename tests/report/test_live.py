"""Reports survive SIGKILL, can be followed while written, and a killed run can be resumed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from core.events import RunFinished
from core.report import ReportError, ReportWriter, open_report, validate_report
from core.report.files import writer_left_open
from tests.report import run_events as ev

ROOT = Path(__file__).resolve().parents[2]


def start_writer(path: Path, epochs: int, pause: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.report.run_events", str(path), str(epochs), str(pause)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_for_line(proc: subprocess.Popen, prefix: str, timeout: float = 600) -> list[str]:
    lines = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline().strip()
        if not line and proc.poll() is not None:
            break
        lines.append(line)
        if line.startswith(prefix):
            return lines
    raise AssertionError(f"writer never printed {prefix!r}; got {lines}")


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.13])
def test_sigkill_leaves_every_complete_epoch(tmp_path, delay):
    path = tmp_path / "killed.h5"
    proc = start_writer(path, epochs=50, pause=0.02)
    try:
        wait_for_line(proc, "epoch 2")
        time.sleep(delay)  # land the kill at different points of later epochs
        os.kill(proc.pid, signal.SIGKILL)
        rest, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    announced = 3 + sum(1 for line in rest.splitlines() if line.startswith("epoch"))
    with open_report(path) as report:
        assert report.state == "running"
        train = report.valuation["train"].epochs.tolist()
        assert train[:announced] == list(range(announced))
        assert train == list(range(len(train)))
        data = ev.prepared()
        last = ev.valuation(data, "train", train[-1])
        assert np.array_equal(report.valuation["train"].phi[-1], last.phi)
        assert report.epoch_metrics["epoch"].tolist()[:announced] == list(range(announced))
    assert validate_report(path) == []
    assert writer_left_open(path)


def test_killed_run_resumes_into_the_same_report(tmp_path):
    path = tmp_path / "resumed.h5"
    proc = start_writer(path, epochs=50, pause=0.05)
    try:
        wait_for_line(proc, "epoch 1")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    data = ev.prepared()
    writer = ReportWriter(path)
    writer(ev.run_started(data, start_epoch=1, total_epochs=3))
    for epoch in (1, 2):
        for event in ev.epoch_events(data, epoch):
            writer(event)
    writer(RunFinished(epochs_done=3, stopped=False, best_epoch=2, best_val_accuracy=0.6))
    assert not writer_left_open(path)
    with open_report(path) as report:
        assert report.state == "finished"
        assert report.valuation["train"].epochs.tolist() == [0, 1, 2]
        assert report.epoch_metrics["epoch"].tolist() == [0, 1, 2]
        assert report.step_metrics["global_step"].tolist() == list(range(9))
    assert validate_report(path) == []


def test_reader_follows_a_live_report(tmp_path):
    path = tmp_path / "live.h5"
    proc = start_writer(path, epochs=5, pause=0.4)
    try:
        wait_for_line(proc, "epoch 0")
        report = open_report(path)
        seen = [len(report.valuation["train"].epochs)]
        changed = 0
        deadline = time.monotonic() + 60
        while report.state == "running" and time.monotonic() < deadline:
            time.sleep(0.05)
            changed += report.refresh()
            if "train" in report.valuation:
                seen.append(len(report.valuation["train"].epochs))
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert report.state == "finished"
    assert report.valuation["train"].epochs.tolist() == [0, 1, 2, 3, 4]
    assert report.valuation["train"].phi.shape == (5, 7, 2)
    assert seen == sorted(seen), "epochs never disappear while following"
    assert len(set(seen)) >= 3, f"saw too few intermediate states: {seen}"
    assert changed >= 3
    assert not report.refresh()
    report.close()


def test_reading_a_closed_report_after_refresh_fails_clearly(tmp_path):
    path = tmp_path / "r.h5"
    writer = ReportWriter(path)
    for event in ev.run(ev.prepared(), epochs=1):
        writer(event)
    report = open_report(path)
    path.unlink()
    with pytest.raises(ReportError, match="no such file|cannot be read"):
        report.refresh()
    report.close()
