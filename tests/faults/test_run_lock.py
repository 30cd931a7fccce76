"""One writer per run folder: a second run is refused naming the holder; a crashed holder blocks nothing."""

import os
import signal
import subprocess
import sys
import time

import pytest

from core.run_files.lock import LOCK_NAME, RunLock, RunLockedError, read_holder
from core.training.engine import Engine
from tests.synthetic import vector_data
from tests.training.test_engine import small_config

HOLD = "import sys, time; from core.run_files.lock import RunLock; RunLock(sys.argv[1]).acquire(); print('held', flush=True); time.sleep(60)"


def holder_process(run_dir):
    process = subprocess.Popen([sys.executable, "-c", HOLD, str(run_dir)], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_second_lock_names_the_holder_and_a_killed_holder_leaves_it_free(tmp_path):
    holder = holder_process(tmp_path)
    try:
        with pytest.raises(RunLockedError, match=f"pid={holder.pid} host="):
            RunLock(tmp_path).acquire()
        assert read_holder(tmp_path)["pid"] == str(holder.pid)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert read_holder(tmp_path) is None  # stale: its process is gone, the kernel dropped the lock
    with RunLock(tmp_path) as lock:
        assert lock.held and read_holder(tmp_path)["pid"] == str(os.getpid())
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_second_engine_on_the_same_folder_is_refused_before_writing(tmp_path):
    holder = holder_process(tmp_path / "run")
    try:
        engine = Engine(small_config(epochs=1), tmp_path / "run", data=vector_data(n=30))
        failures = []
        engine.bus.subscribe(lambda e: failures.append(e) if type(e).__name__ == "RunFailed" else None)
        outcome = engine.run()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert outcome.failed
    assert "another ModaLens run is writing this folder" in failures[0].error
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == [LOCK_NAME]


def test_two_train_commands_with_the_same_out_do_not_mix(tmp_path):
    demo = subprocess.run(
        [sys.executable, "-m", "core.cli", "demo", "--scenario", "vectors", "--samples", "600", "--out", tmp_path / "D"],
        capture_output=True, text=True,
    )
    assert demo.returncode == 0, demo.stderr
    command = [sys.executable, "-m", "core.cli", "train", "--data", tmp_path / "D", "--out", tmp_path / "R",
               "--device", "cpu", "--epochs", "300"]  # still training when the second starts
    first = subprocess.Popen([*command, "--seed", "0"], stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while read_holder(tmp_path / "R") is None:
            assert first.poll() is None and time.monotonic() < deadline, "first run never took the lock"
            time.sleep(0.05)
        second = subprocess.run([*command, "--seed", "1"], capture_output=True, text=True, timeout=900)
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=900)
    assert second.returncode == 1
    assert f"pid={first.pid}" in second.stderr and "another ModaLens run" in second.stderr
    assert "seed = 0" in (tmp_path / "R" / "config.toml").read_text()
