"""A run continues, or takes values, only on its own dataset, modalities, classes and strategy; a
checkpoint that does not fit the data is one line, never a state-dict dump."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from core.cli.main import main
from core.demo import generate_demo
from core.report.reader import open_report
from core.training.checkpoint import load_checkpoint, save_checkpoint

WATCHED = ("report.h5", "checkpoints/last.pt", "checkpoints/best.pt", "config.toml")


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """D: a demo dataset, R: a finished one-epoch run on it, OTHER: another dataset of the same shapes."""
    root = tmp_path_factory.mktemp("resume")
    generate_demo(root / "D", preset="vectors", samples=30)
    generate_demo(root / "OTHER", preset="vectors", samples=36, seed=1)
    code = main(["train", "--data", str(root / "D"), "--out", str(root / "R"), "--epochs", "1", "--device", "cpu"])
    assert code == 0
    return root


@pytest.fixture
def run(root, tmp_path) -> Path:
    shutil.copytree(root / "R", tmp_path / "R")
    return tmp_path / "R"


def contents(run: Path) -> dict[str, bytes]:
    return {name: (run / name).read_bytes() for name in WATCHED}


def error_line(err: str) -> str:
    """The one line of an error (a failed run prints it after its own progress lines)."""
    lines = [line for line in err.splitlines() if line.startswith("run failed: ") or ": error: " in line]
    assert len(lines) == 1, err
    assert "Traceback" not in err and "state_dict" not in err, err
    return lines[0]


def rewrite_manifest(src: Path, dst: Path, change) -> Path:
    shutil.copytree(src, dst)
    manifest = dst / "manifest.csv"
    with manifest.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        change(row)
    with manifest.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return dst


def two_classes(row: dict) -> None:
    row["label"] = "class0" if row["label"] in ("class0", "class1") else "class2"


def test_resume_on_another_dataset_is_refused_and_the_run_is_kept(root, run, capsys):
    before = contents(run)
    code = main(["train", "--resume", str(run), "--data", str(root / "OTHER"), "--epochs", "2"])
    assert code != 0
    line = error_line(capsys.readouterr().err)
    assert "not this run's dataset" in line and str(root / "OTHER") in line
    assert contents(run) == before


def test_resume_on_the_same_samples_with_one_label_changed_is_refused(root, run, tmp_path, capsys):
    changed = {"done": False}

    def flip(row: dict) -> None:
        if not changed["done"] and row["label"] == "class0":
            row["label"], changed["done"] = "class1", True

    data = rewrite_manifest(root / "D", tmp_path / "D2", flip)
    code = main(["train", "--resume", str(run), "--data", str(data), "--epochs", "2"])
    assert code != 0
    assert "not this run's dataset" in error_line(capsys.readouterr().err)


def test_resume_with_another_strategy_is_refused(run, capsys):
    before = contents(run)
    code = main(["train", "--resume", str(run), "--strategy", "ogm-ge", "--epochs", "2"])
    assert code == 2
    line = error_line(capsys.readouterr().err)
    assert "'joint'" in line and "'ogm-ge'" in line
    assert contents(run) == before


def test_resume_with_fewer_classes_says_how_many(root, run, tmp_path, capsys):
    data = rewrite_manifest(root / "D", tmp_path / "D2", two_classes)
    code = main(["train", "--resume", str(run), "--data", str(data), "--epochs", "2"])
    assert code != 0
    assert "checkpoint has 5 classes, dataset has 2" in error_line(capsys.readouterr().err)


def test_resume_on_its_own_dataset_still_works(root, run, capsys):
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0, capsys.readouterr().err
    assert load_checkpoint(run / "checkpoints" / "last.pt")["next_epoch"] == 2


def test_a_checkpoint_without_a_fingerprint_resumes_with_a_warning(root, run, capsys):
    last = run / "checkpoints" / "last.pt"
    state = load_checkpoint(last)
    state.pop("dataset", None)
    state.pop("format")
    save_checkpoint(last, state)
    assert main(["train", "--resume", str(run), "--epochs", "2"]) == 0
    err = capsys.readouterr().err
    assert "records no dataset fingerprint" in err


def test_value_into_report_refuses_another_dataset(root, run, capsys):
    before = contents(run)
    code = main(["value", "--checkpoint", str(run), "--data", str(root / "OTHER"), "--split", "test", "--into-report"])
    assert code == 2
    line = error_line(capsys.readouterr().err)
    assert "not this run's dataset" in line
    assert contents(run) == before
    with open_report(run / "report.h5") as report:
        assert report.dataset.num_samples == 30


def test_value_with_a_checkpoint_of_other_classes_is_one_line(root, run, tmp_path, capsys):
    data = rewrite_manifest(root / "D", tmp_path / "D2", two_classes)
    code = main(["value", "--checkpoint", str(run), "--data", str(data)])
    assert code == 2
    assert "checkpoint has 5 classes, dataset has 2" in error_line(capsys.readouterr().err)


def test_init_encoders_from_a_checkpoint_of_other_modalities_is_one_line(root, run, tmp_path, capsys):
    def rename(row: dict) -> None:
        row["y2"] = row.pop("x2")
        row["carrier"] = row["carrier"].replace("x2", "y2")

    data = rewrite_manifest(root / "D", tmp_path / "D2", rename)
    out = tmp_path / "R2"
    code = main(["train", "--data", str(data), "--out", str(out), "--epochs", "1", "--device", "cpu",
                 "--set", f"model.init_encoders_from={run / 'checkpoints' / 'last.pt'}"])
    assert code != 0
    line = error_line(capsys.readouterr().err)
    assert "checkpoint has modalities x1, x2; dataset has x1, y2" in line
