"""A failing report or checkpoint write ends the run non-zero with one line, loses nothing already
written, and leaves no temporary file; a non-finite loss stops the run instead of saving a NaN model."""

import errno

import numpy as np
import pytest
import torch

from core.cli.main import main
from core.report.reader import open_report
from core.report.writer import ReportWriter
from core.training import checkpoint
from core.training.checkpoint import load_checkpoint


def disk_full():
    return OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp("data") / "D"
    assert main(["demo", "--scenario", "vectors", "--samples", "60", "--out", str(root)]) == 0
    return root


def train(dataset, out, *extra):
    return main(["train", "--data", str(dataset), "--out", str(out), "--device", "cpu", *map(str, extra)])


def temporaries(folder):
    return sorted(p.name for p in folder.rglob("*.tmp"))


def test_full_disk_on_report_writes_fails_the_run_and_keeps_every_earlier_epoch(dataset, tmp_path, monkeypatch, capsys):
    real_append = ReportWriter._append

    def append(self, staged):
        staged = list(staged)
        # epoch 2's first write: its valuation (its epoch metrics, which carry the valuation's imbalance
        # figures, follow it)
        epoch_tables = ("training/epoch", "valuation/")
        if any(path.startswith(epoch_tables) and int(index[0]) >= 2 for path, _, _, index in staged):
            raise disk_full()
        return real_append(self, staged)

    monkeypatch.setattr(ReportWriter, "_append", append)
    run = tmp_path / "R"
    assert train(dataset, run, "--epochs", 4) == 1
    err = capsys.readouterr().err
    [line] = [x for x in err.splitlines() if x.startswith("run failed")]
    assert f"{run / 'report.h5'}: the disk is full" in line and "last.pt (after epoch 2)" in line
    assert "Traceback" not in err
    monkeypatch.undo()

    assert temporaries(run) == []
    assert main(["report", "validate", str(run / "report.h5")]) == 0
    with open_report(run / "report.h5") as report:
        assert report.state == "failed" and "disk is full" in report.failure[0]
        assert list(report.epochs()) == [0, 1]
        assert report.valuation["train"].phi.shape[0] == 2
    assert load_checkpoint(run / "checkpoints" / "last.pt")["next_epoch"] == 2

    assert train(dataset, run, "--resume", run / "checkpoints" / "last.pt", "--epochs", 4) == 0
    with open_report(run / "report.h5") as report:
        assert report.state == "finished" and list(report.epochs()) == [0, 1, 2, 3]


def test_full_disk_on_checkpoint_writes_keeps_the_last_good_checkpoint(dataset, tmp_path, monkeypatch, capsys):
    real_save = torch.save
    saves = []

    def save(obj, f, *args, **kwargs):
        saves.append(obj["next_epoch"])
        if obj["next_epoch"] == 2:
            f.write(b"half a checkpoint")
            raise disk_full()
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(checkpoint.torch, "save", save)
    run = tmp_path / "R"
    assert train(dataset, run, "--epochs", 3) == 1
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert "the disk is full" in err and ".pt" in err and "Traceback" not in err
    assert temporaries(run) == []
    assert load_checkpoint(run / "checkpoints" / "last.pt")["next_epoch"] == 1
    with open_report(run / "report.h5") as report:
        assert report.state == "failed"


def test_full_disk_on_value_out_leaves_nothing_half_written(dataset, tmp_path, monkeypatch, capsys):
    run = tmp_path / "R"
    assert train(dataset, run, "--epochs", 1) == 0
    out = tmp_path / "values.csv"
    import core.cli.value as value

    class FullWriter:
        def __init__(self, handle, **kwargs):
            pass

        def writerow(self, row):
            raise disk_full()

    monkeypatch.setattr(value.csv, "writer", FullWriter)
    assert main(["value", "--checkpoint", str(run), "--data", str(dataset), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{out}: the disk is full" in err
    assert not out.exists() and temporaries(tmp_path) == []


def test_a_non_finite_loss_stops_the_run_and_no_nan_model_is_saved(dataset, tmp_path, capsys):
    assert train(dataset, tmp_path / "inf", "--epochs", 2, "--set", "optim.lr=inf") == 2  # refused up front
    run = tmp_path / "R"
    assert train(dataset, run, "--epochs", 2, "--set", "optim.lr=1e30") == 1  # finite, but it overflows
    err = capsys.readouterr().err
    assert "step 2: the loss is nan (not finite)" in err
    assert not (run / "checkpoints" / "best.pt").exists()


def test_skipping_non_finite_steps_counts_them_and_still_never_saves_nan(dataset, tmp_path):
    run = tmp_path / "R"
    train(dataset, run, "--epochs", 1, "--set", "optim.lr=1e30", "--set", "optim.nonfinite_loss=skip")
    with open_report(run / "report.h5") as report:
        skipped = report.epoch_metrics["train/skipped_steps"]
        assert skipped[0] >= 1 and np.isfinite(skipped[0])
    for name in ("best.pt", "last.pt"):
        path = run / "checkpoints" / name
        if path.exists():
            assert all(torch.isfinite(t).all() for t in load_checkpoint(path)["model"].values())
