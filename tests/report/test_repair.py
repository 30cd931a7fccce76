"""`modalens report repair` makes a report a killed run left marked open readable by plain HDF5."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys

import h5py
import numpy as np
import pytest

from core.events import RunFinished
from core.report import ReportWriter, open_report, repair, validate_report
from core.report.files import writer_left_open
from core.report.repair import LOCK_NAME, process_alive
from tests.report import run_events as ev
from tests.report.test_export_and_cli import run_cli
from tests.report.test_live import start_writer, wait_for_line


def killed_report(folder, epochs_before_kill: int = 2):
    """A report whose writer was SIGKILLed after announcing ``epochs_before_kill`` epochs."""
    path = folder / "report.h5"
    proc = start_writer(path, epochs=50, pause=0.05)
    try:
        wait_for_line(proc, f"epoch {epochs_before_kill - 1}")
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    return path


def contents(path):
    with open_report(path) as report:
        return {
            "state": report.state,
            "epochs": {split: v.epochs.tolist() for split, v in report.valuation.items()},
            "phi": {split: v.phi for split, v in report.valuation.items()},
            "steps": report.step_metrics["global_step"].tolist(),
            "epoch_metrics": report.epoch_metrics["epoch"].tolist(),
            "copies": report.resampling.copies.tolist(),
        }


@pytest.fixture
def killed(tmp_path):
    return killed_report(tmp_path)


def test_repair_makes_plain_h5py_open_a_killed_report(killed, capsys):
    with pytest.raises(OSError):
        h5py.File(killed, "r", locking=False).close()
    assert run_cli("report", "validate", str(killed)) == 0
    out = capsys.readouterr().out
    assert "needs repair" in out and f"`modalens report repair {killed}`" in out
    before = contents(killed)
    assert len(before["epochs"]["train"]) >= 2

    assert run_cli("report", "repair", str(killed)) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"repaired {killed}: every complete epoch kept (train {len(before['epochs']['train'])} epochs")
    with h5py.File(killed, "r") as f:  # plain, not SWMR, file locking on
        assert "repaired" in f.attrs and f.attrs["state"] == b"running"
    assert not writer_left_open(killed)
    assert validate_report(killed) == []
    after = contents(killed)
    assert after["epochs"] == before["epochs"] and after["steps"] == before["steps"]
    assert after["epoch_metrics"] == before["epoch_metrics"] and after["copies"] == before["copies"]
    for split, phi in before["phi"].items():
        assert np.array_equal(after["phi"][split], phi, equal_nan=True)
    assert run_cli("report", "validate", str(killed)) == 0
    assert "marked open" not in capsys.readouterr().out
    assert not list(killed.parent.glob("*.tmp"))
    if shutil.which("h5ls"):
        subprocess.run(["h5ls", "-r", str(killed)], check=True, capture_output=True)


def test_repair_of_a_closed_report_changes_nothing(finished_report, capsys):
    data = finished_report.read_bytes()
    assert run_cli("report", "repair", str(finished_report)) == 0
    assert "not marked open by a writer; nothing to repair" in capsys.readouterr().out
    assert finished_report.read_bytes() == data


def refused(path, capsys) -> str:
    data = path.read_bytes()
    assert run_cli("report", "repair", str(path)) == 2
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert captured.out == "" and len(lines) == 1
    assert path.read_bytes() == data and writer_left_open(path)
    return lines[0]


def test_a_lock_of_a_running_process_refuses_and_a_stale_one_does_not(killed, capsys):
    lock = killed.parent / LOCK_NAME
    lock.write_text(f"pid={os.getpid()} host={socket.gethostname()}\n")
    line = refused(killed, capsys)
    assert f"the report is live (run process {os.getpid()} is still running ({lock}))" in line
    assert run_cli("report", "validate", str(killed)) == 0
    assert "is marked open by a writer that is still running" in capsys.readouterr().out

    lock.write_text("pid=1 host=elsewhere.example\n")
    assert "names process 1 on host elsewhere.example" in refused(killed, capsys)

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert not process_alive(gone.pid)
    lock.write_text(f"pid={gone.pid} host={socket.gethostname()}\n")
    assert run_cli("report", "repair", str(killed)) == 0
    assert not writer_left_open(killed)


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs Linux /proc")
def test_a_writer_still_running_without_a_lock_is_found(tmp_path, capsys):
    path = tmp_path / "live.h5"
    proc = start_writer(path, epochs=50, pause=0.2)
    try:
        wait_for_line(proc, "epoch 1")  # past the epochs that add datasets (the writer then holds one file)
        os.kill(proc.pid, signal.SIGSTOP)  # still open for writing, but its bytes hold still while compared
        line = refused(path, capsys)
        assert f"process {proc.pid} has it open for writing" in line
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def test_a_writer_of_this_process_refuses(tmp_path, data, capsys):
    path = tmp_path / "open.h5"
    writer = ReportWriter(path)
    for event in ev.run(data, epochs=1)[:-1]:
        writer(event)
    assert "a writer of this process holds it" in refused(path, capsys)
    writer.close()


def test_repair_has_help(capsys):
    with pytest.raises(SystemExit) as stop:
        run_cli("report", "repair", "--help")
    assert stop.value.code == 0 and "usage: modalens report repair" in capsys.readouterr().out


def test_a_repaired_report_resumes(tmp_path):
    path = killed_report(tmp_path, epochs_before_kill=2)
    assert run_cli("report", "repair", str(path)) == 0
    data = ev.prepared()
    writer = ReportWriter(path)
    writer(ev.run_started(data, start_epoch=2, total_epochs=4))
    for epoch in (2, 3):
        for event in ev.epoch_events(data, epoch):
            writer(event)
    writer(RunFinished(epochs_done=4, stopped=False, best_epoch=3, best_val_accuracy=0.7))
    with open_report(path) as report:
        assert report.state == "finished"
        assert report.valuation["train"].epochs.tolist() == [0, 1, 2, 3]
        assert report.step_metrics["global_step"].tolist() == list(range(12))
    assert validate_report(path) == []


def test_a_writer_appearing_during_the_repair_keeps_its_file(killed, monkeypatch, capsys):
    answers = iter([None, "run process 4242 is still running"])
    monkeypatch.setattr(repair, "live_writer", lambda _path: next(answers))
    line = refused(killed, capsys)
    assert "the report became live (run process 4242 is still running); it is unchanged" in line
    assert not list(killed.parent.glob("*.tmp"))
