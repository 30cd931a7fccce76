"""SIGKILL at random moments of a training run: after every kill the report validates and the last
checkpoint loads; resuming after each kill, the run ends exactly where an uninterrupted one does."""

import random
import shutil
import signal
import subprocess
import sys
import time

import pytest
import torch

from core.report.reader import open_report
from core.training.checkpoint import load_checkpoint

EPOCHS = 6


def modalens(*args):
    return [sys.executable, "-m", "core.cli", *map(str, args)]


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("kill") / "D"
    made = subprocess.run(modalens("demo", "--scenario", "vectors", "--samples", 300, "--out", root), capture_output=True)
    assert made.returncode == 0
    return root


def train_command(dataset, run_dir):
    last = run_dir / "checkpoints" / "last.pt"
    resume = ["--resume", last] if last.exists() else ["--data", dataset]
    return modalens("train", *resume, "--out", run_dir, "--device", "cpu", "--epochs", EPOCHS)


def kill_at_random(command, rng, longest_s):
    """Start the run, SIGKILL it a random time after training began; True if it was killed."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("training on"):
            break
    time.sleep(rng.uniform(0.0, longest_s))
    killed = process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.communicate()
    return killed


def check_after_kill(run_dir):
    report = run_dir / "report.h5"
    if report.exists():
        checked = subprocess.run(modalens("report", "validate", report), capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    last = run_dir / "checkpoints" / "last.pt"
    if last.exists():
        assert 1 <= load_checkpoint(last)["next_epoch"] <= EPOCHS


def run_with_kills(dataset, run_dir, kills, seed, longest_s):
    """Kill and resume until ``kills`` kills landed or the run is complete. A run that completes before any
    kill landed (this time it trained faster than when it was timed) starts again from nothing, with kills
    drawn sooner, so the test always kills."""
    rng = random.Random(seed)
    killed = 0
    while killed < kills:
        killed += kill_at_random(train_command(dataset, run_dir), rng, longest_s)
        check_after_kill(run_dir)
        state = load_checkpoint(run_dir / "checkpoints" / "last.pt") if (run_dir / "checkpoints" / "last.pt").exists() else None
        if state is not None and state["next_epoch"] == EPOCHS:
            if killed:
                break
            shutil.rmtree(run_dir)
            longest_s /= 2
    finished = subprocess.run(train_command(dataset, run_dir), capture_output=True, text=True)
    return killed, finished


def assert_same_model(a, b):
    ma, mb = (load_checkpoint(r / "checkpoints" / "last.pt")["model"] for r in (a, b))
    assert all(torch.equal(ma[k], mb[k]) for k in ma)


@pytest.fixture(scope="module")
def reference(dataset, tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("reference") / "R"
    done = subprocess.run(train_command(dataset, run_dir), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return run_dir


@pytest.fixture(scope="module")
def training_s(dataset, tmp_path_factory):
    """How long a whole run takes here from "training on" to its end (kills are drawn within it, so they
    land while it trains on a fast machine as on a busy one)."""
    process = subprocess.Popen(train_command(dataset, tmp_path_factory.mktemp("timed") / "R"),
                               stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("training on"):
            break
    started = time.monotonic()
    process.communicate()
    assert process.returncode == 0
    return time.monotonic() - started


def check_run(run_dir, reference, finished):
    assert finished.returncode in (0, 2), finished.stderr  # 2: the last kill came after the last epoch
    with open_report(run_dir / "report.h5") as report, open_report(reference / "report.h5") as expected:
        assert list(report.epochs()) == list(range(EPOCHS))
        assert (report.valuation["train"].phi == expected.valuation["train"].phi).all()
    assert_same_model(run_dir, reference)


def test_ten_random_kills_then_resume_ends_like_an_uninterrupted_run(dataset, reference, training_s, tmp_path):
    run_dir = tmp_path / "R"
    killed, finished = run_with_kills(dataset, run_dir, kills=10, seed=0, longest_s=0.7 * training_s)
    assert killed >= 1
    check_run(run_dir, reference, finished)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(1, 6))
def test_many_random_kills(dataset, reference, training_s, tmp_path, seed):
    run_dir = tmp_path / "R"
    killed, finished = run_with_kills(dataset, run_dir, kills=30, seed=seed, longest_s=training_s)
    check_run(run_dir, reference, finished)
