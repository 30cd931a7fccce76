"""SIGTERM, SIGHUP and Ctrl-C stop a run at the next clean point: a checkpoint, a `stopped` report and
exit status 128 + the signal; a second signal waits for the save; --resume then finishes the run."""

import signal
import subprocess
import sys

import pytest

from core.report.reader import open_report
from core.training.checkpoint import load_checkpoint

EPOCHS = 15


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("signals") / "D"
    made = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--scenario", "vectors", "--samples", "600", "--out", str(root)],
        capture_output=True, text=True,
    )
    assert made.returncode == 0, made.stderr
    return root


def start(dataset, run_dir):
    command = [sys.executable, "-m", "core.cli", "train", "--data", str(dataset), "--out", str(run_dir),
               "--device", "cpu", "--epochs", str(EPOCHS)]
    return subprocess.Popen(command, stderr=subprocess.PIPE, text=True)


def wait_for_first_epoch(process):
    for line in process.stderr:
        if line.startswith("epoch 1/"):
            return
    raise AssertionError(f"the run ended before its first epoch (exit {process.wait()})")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_stop_signal_saves_and_exits_128_plus_the_signal(dataset, tmp_path, signum):
    run_dir = tmp_path / "R"
    process = start(dataset, run_dir)
    wait_for_first_epoch(process)
    process.send_signal(signum)
    rest = process.stderr.read()
    assert process.wait(timeout=900) == 128 + signum, rest
    assert "stopping at the next step" in rest and "Traceback" not in rest
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    assert 1 <= state["next_epoch"] < EPOCHS
    with open_report(run_dir / "report.h5") as report:
        assert report.state == "stopped"
    assert not list(run_dir.rglob("*.tmp"))


def test_a_second_ctrl_c_waits_for_the_save_and_resume_finishes(dataset, tmp_path):
    run_dir = tmp_path / "R"
    process = start(dataset, run_dir)
    wait_for_first_epoch(process)
    process.send_signal(signal.SIGINT)
    first = next(line for line in process.stderr if "stopping at the next step" in line)
    process.send_signal(signal.SIGINT)
    rest = first + process.stderr.read()
    assert process.wait(timeout=900) == 130, rest
    assert "already stopping" in rest
    with open_report(run_dir / "report.h5") as report:
        assert report.state == "stopped"
    resumed = subprocess.run(
        [sys.executable, "-m", "core.cli", "train", "--resume", str(run_dir / "checkpoints" / "last.pt"),
         "--epochs", str(EPOCHS)],
        capture_output=True, text=True, timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    with open_report(run_dir / "report.h5") as report:
        assert report.state == "finished" and list(report.epochs()) == list(range(EPOCHS))
