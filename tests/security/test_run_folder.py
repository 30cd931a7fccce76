"""A run folder is written only when it is safe to: a finished run is never replaced without
``--overwrite``, and a run file that is a symlink is never written through."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.atomic import atomic_write
from core.cli.main import main
from core.config import RunConfig
from core.demo import generate_demo

RUN_FILES = ("report.h5", "checkpoints/last.pt", "checkpoints/best.pt", "config.toml")


def train(capsys, data: Path, out: Path, *extra: str) -> tuple[int, str]:
    code = main(["train", "--data", str(data), "--out", str(out), "--epochs", "1", "--device", "cpu", *extra])
    return code, capsys.readouterr().err


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """A demo dataset and a finished one-epoch run on it."""
    root = tmp_path_factory.mktemp("runfolder")
    generate_demo(root / "D", preset="vectors", samples=30)
    code = main(["train", "--data", str(root / "D"), "--out", str(root / "R"), "--epochs", "1", "--device", "cpu"])
    assert code == 0
    return root


def contents(run: Path) -> dict[str, bytes]:
    return {name: (run / name).read_bytes() for name in RUN_FILES}


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_train_onto_a_finished_run_is_refused_and_leaves_it_whole(finished, tmp_path, capsys):
    run = tmp_path / "R"
    shutil.copytree(finished / "R", run)
    before = contents(run)
    code, err = train(capsys, finished / "D", run)
    assert code == 2
    line = one_line(err)
    assert "holds a run" in line and "--resume" in line and "--overwrite" in line and "--out" in line
    assert contents(run) == before


def test_overwrite_replaces_a_finished_run(finished, tmp_path, capsys):
    run = tmp_path / "R"
    shutil.copytree(finished / "R", run)
    before = contents(run)
    code, err = train(capsys, finished / "D", run, "--seed", "7", "--overwrite")
    assert code == 0, err
    after = contents(run)
    assert after["checkpoints/last.pt"] != before["checkpoints/last.pt"]
    assert after["report.h5"] != before["report.h5"]


def test_a_run_killed_before_its_first_checkpoint_may_be_started_again(finished, tmp_path, capsys):
    run = tmp_path / "R"
    shutil.copytree(finished / "R", run)
    shutil.rmtree(run / "checkpoints")  # what a run killed during its first epoch leaves: a report alone
    code, err = train(capsys, finished / "D", run)
    assert code == 0, err
    assert (run / "checkpoints" / "last.pt").is_file()


def test_resume_into_another_finished_run_is_refused(finished, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(finished / "R", other)
    before = contents(other)
    code = main(["train", "--resume", str(finished / "R"), "--epochs", "2", "--out", str(other)])
    assert code == 2
    assert "holds a run" in one_line(capsys.readouterr().err)
    assert contents(other) == before


def test_the_window_refuses_a_folder_holding_a_run(finished, tmp_path, qtbot):
    from app.runner import TrainingRunner
    from app.session import Session

    run = tmp_path / "R"
    shutil.copytree(finished / "R", run)
    before = contents(run)
    config = RunConfig()
    config.data.path = str(finished / "D")
    runner = TrainingRunner(Session())
    try:
        with pytest.raises(ValueError, match="holds a run"):
            runner.start(config, run)
        assert not runner.busy
    finally:
        assert runner.shutdown(timeout_s=30)
    assert contents(run) == before


@pytest.mark.parametrize("name", ["config.toml", "excluded.txt", ".modalens.lock"])
def test_a_symlinked_run_file_is_never_written_through(finished, tmp_path, capsys, name):
    data = tmp_path / "D"
    shutil.copytree(finished / "D", data)
    with (data / "manifest.csv").open("a", encoding="utf-8") as handle:  # one row left out: excluded.txt
        handle.write("gone,class0,train,x1/gone.npy,x2/gone.npy,x1\n")
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    out = tmp_path / "R"
    out.mkdir()
    (out / name).symlink_to(victim)
    code, err = train(capsys, data, out)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert code == 2
    line = one_line(err)
    assert name in line and "symbolic link" in line
    assert not (out / "report.h5").exists()


def test_atomic_write_replaces_a_symlink_and_never_writes_through_its_temporary(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n", encoding="utf-8")
    target = tmp_path / "config.toml"
    target.symlink_to(victim)
    (tmp_path / "config.toml.tmp").symlink_to(victim)
    RunConfig().save(target)
    assert victim.read_text(encoding="utf-8") == "precious\n"
    assert not target.is_symlink() and "[data]" in target.read_text(encoding="utf-8")
    with atomic_write(target, "w", encoding="utf-8") as handle:
        handle.write("x")
    assert victim.read_text(encoding="utf-8") == "precious\n"
