"""A write that fails late in a run (the report's file at any size, or torch.save on a disk that fills
up) ends the run with one line naming the path and what was kept, a non-zero exit, never "finished",
and no traceback or crash.

The report's writes fail for real, below HDF5: the process's file size limit (RLIMIT_FSIZE, SIGXFSZ
ignored) makes every write past it fail with EFBIG, as a full disk fails them. Those runs go to a
subprocess (``python -m tests.faults.test_late_write_failures``): the limit applies to every file the
process writes, and a failure HDF5 had swallowed used to end in a segmentation fault.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.cli.main import main
from core.training import checkpoint
from core.training.checkpoint import load_checkpoint

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def file_size_limit(limit: int):
    """Writes past ``limit`` bytes into any file fail with EFBIG while the block runs."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


def writer_sweep(step: int) -> dict:
    """Write the synthetic 6-epoch report once per limit (every ``step`` bytes from 8 kB to its full size:
    every limit fails a different later write); name the wrong outcomes: no error, another error, or text
    on stderr (h5py prints what fails where it cannot raise)."""
    from core.atomic import WriteError
    from core.report.writer import ReportWriter
    from tests.report import run_events as ev

    events = ev.run(ev.prepared(), epochs=6)
    writer = ReportWriter("full.h5")
    for event in events:
        writer(event)
    size, wrong = os.path.getsize("full.h5"), []
    limits = range(8192, size, step)
    for limit in limits:
        path, outcome = Path(f"limit-{limit}.h5"), "no error"
        stderr, sys.stderr = sys.stderr, io.StringIO()
        try:
            with file_size_limit(limit):
                writer = ReportWriter(path)
                for event in events:
                    writer(event)
        except WriteError as exc:
            outcome = "WriteError" if str(exc) == f"{path}: cannot write (File too large)" else str(exc)
        except Exception as exc:  # noqa: BLE001 - any other error is a wrong outcome, named
            outcome = f"{type(exc).__name__}: {exc}"
        printed, sys.stderr = sys.stderr.getvalue(), stderr
        if outcome != "WriteError" or printed:
            wrong.append({"limit": limit, "outcome": outcome, "stderr": printed[:300]})
        path.unlink(missing_ok=True)
    return {"size": size, "checked": len(limits), "wrong": wrong}


def train_with_full_report_disk(dataset: str, out: str, when: str) -> int:
    """``modalens train`` whose report writes all fail from the moment the writer receives epoch 1's
    metrics (``epoch``) or the RunFinished event (``finished``)."""
    from core import events
    from core.report.writer import ReportWriter

    real_call = ReportWriter.__call__
    limit = contextlib.ExitStack()

    def call(self, event):
        armed = isinstance(event, events.RunFinished) if when == "finished" else (
            isinstance(event, events.EpochMetrics) and event.epoch == 1
        )  # fmt: skip
        if armed:
            limit.enter_context(file_size_limit(0))
        return real_call(self, event)

    ReportWriter.__call__ = call
    with limit:
        return main(["train", "--data", dataset, "--out", out, "--device", "cpu", "--epochs", "3"])


def in_subprocess(*args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "tests.faults.test_late_write_failures", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "D"
    assert main(["demo", "--scenario", "vectors", "--samples", "60", "--out", str(root)]) == 0
    return root


def test_the_report_outgrowing_the_disk_at_any_later_write_stops_the_writer_with_one_error(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); import json; "
         "from tests.faults.test_late_write_failures import writer_sweep; print(json.dumps(writer_sweep(5000)))"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["checked"] >= 40 and result["wrong"] == [], result["wrong"][:5]


@pytest.mark.parametrize("when", ["epoch", "finished"])
def test_a_late_report_write_failing_fails_the_run_in_one_line(dataset, tmp_path, when):
    run = tmp_path / "R"
    done = in_subprocess("train", str(dataset), str(run), when)
    assert done.returncode == 1, done.stderr[-2000:]
    report, kept = run / "report.h5", run / "checkpoints" / "last.pt"
    failed = [line for line in done.stderr.splitlines() if line.startswith("run failed")]
    assert failed == [f"run failed: {report}: cannot write (File too large); kept: {kept} "
                      f"(after epoch {1 if when == 'epoch' else 3}) and the report's complete epochs; "
                      "resume with --resume"]  # fmt: skip
    assert "finished" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    assert not list(run.rglob("*.tmp"))


def test_a_disk_filling_up_under_torch_save_names_the_checkpoint(dataset, tmp_path, monkeypatch, capsys):
    real_atomic_write = checkpoint.atomic_write
    saves = []

    class FillingUp:
        """The handle of a disk with 1000 bytes left."""

        def __init__(self, handle):
            self.handle, self.room = handle, 1000

        def write(self, data):
            if len(data) > self.room:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            self.room -= len(data)
            return self.handle.write(data)

        def __getattr__(self, name):
            return getattr(self.handle, name)

    @contextlib.contextmanager
    def atomic_write(path, *args, **kwargs):
        saves.append(Path(path).name)
        with real_atomic_write(path, *args, **kwargs) as handle:
            yield handle if len(saves) <= 2 else FillingUp(handle)  # epoch 1's best.pt and last.pt fit

    monkeypatch.setattr(checkpoint, "atomic_write", atomic_write)
    run = tmp_path / "R"
    assert main(["train", "--data", str(dataset), "--out", str(run), "--device", "cpu", "--epochs", "3"]) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if x.startswith("run failed")]
    assert f"{run / 'checkpoints' / saves[2]}: the disk is full" in line
    assert f"kept: {run / 'checkpoints' / 'last.pt'} (after epoch 1)" in line
    assert "Traceback" not in err and "finished" not in err and "unexpected pos" not in err
    assert load_checkpoint(run / "checkpoints" / "last.pt")["next_epoch"] == 1
    assert not list(run.rglob("*.tmp"))


if __name__ == "__main__":
    if sys.argv[1] == "train":
        sys.exit(train_with_full_report_disk(*sys.argv[2:5]))
