"""A decoding worker that stops (SIGSTOP) does not hang the build, and a stop ends it even then."""

import multiprocessing
import os
import signal
import threading
import time

import cv2
import numpy as np
import pytest

import core.data.prepare as prepare_module
from core.config import DataConfig
from core.data import decode_pool
from core.data.prepare import BuildStopped, prepare_dataset
from tests.data.helpers import write_manifest

COUNT = 40


@pytest.fixture
def images(tmp_path):
    root = tmp_path / "images"
    (root / "img").mkdir(parents=True)
    noise = np.random.default_rng(0).integers(0, 256, (400, 400, 3), dtype=np.uint8)
    for i in range(COUNT):
        cv2.imwrite(str(root / "img" / f"{i}.png"), np.roll(noise, i, axis=0))
    write_manifest(root, ["id", "label", "split", "img"], [[f"s{i}", "ab"[i % 2], "train", f"img/{i}.png"]
                                                          for i in range(COUNT)])
    return root


def decoders() -> list:
    return [p for p in multiprocessing.active_children() if p.pid is not None]


def run_guarded(target, stopped: list[int]):
    """Run ``target`` in a thread; if it is still running after the guard, let the stopped processes go
    on (so the old code can finish) and fail."""
    outcome: list = []

    def body():
        try:
            outcome.append(target())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=body, daemon=True)
    thread.start()
    thread.join(120)
    if thread.is_alive():
        for pid in stopped:
            os.kill(pid, signal.SIGCONT)
        thread.join(60)
        pytest.fail("the build hung on a stopped decoding worker")
    return outcome[0]


def test_a_stopped_worker_does_not_hang_the_build(images, monkeypatch):
    monkeypatch.setattr(prepare_module, "WORKER_TIMEOUT_S", 3.0)
    monkeypatch.setattr(decode_pool, "STARTUP_S", 20.0)  # the victim may not have started up yet
    stopped: list[int] = []

    def progress(done, total):
        if done == 1 and not stopped:
            victim = decoders()[0]
            os.kill(victim.pid, signal.SIGSTOP)
            stopped.append(victim.pid)

    config = DataConfig(path=str(images), workers=2)
    data = run_guarded(lambda: prepare_dataset(config, progress=progress), stopped)
    assert stopped and not isinstance(data, BaseException), data
    assert len(data) == COUNT and data.excluded == []


def test_a_stop_ends_the_build_while_the_workers_are_stopped(images):
    stopped: list[int] = []
    asked: list[float] = []

    def progress(done, total):
        if done == 1 and not stopped:
            for worker in decoders():
                os.kill(worker.pid, signal.SIGSTOP)
                stopped.append(worker.pid)
            asked.append(time.monotonic() + 2)  # Ctrl-C comes once the results already made are taken

    def stop() -> bool:
        return bool(asked) and time.monotonic() > asked[0]

    config = DataConfig(path=str(images), workers=2)
    outcome = run_guarded(lambda: prepare_dataset(config, progress=progress, stop=stop), stopped)
    assert isinstance(outcome, BuildStopped), outcome
