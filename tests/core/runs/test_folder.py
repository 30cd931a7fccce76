"""RunFolder: one place for a run's file names, its lock, its state and new folders' names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.run_files.layout import RunFolderError
from core.run_files.lock import RunLockedError
from core.run_files.state import RunState, ended_state
from core.runs.folder import RunFolder


def test_paths_are_the_names_a_run_writes(tmp_path):
    folder = RunFolder(tmp_path / "r")
    assert folder.path == tmp_path / "r"
    assert folder.report == tmp_path / "r" / "report.h5"
    assert folder.config == tmp_path / "r" / "config.toml"
    assert folder.excluded == tmp_path / "r" / "excluded.txt"
    assert folder.last_checkpoint == tmp_path / "r" / "checkpoints" / "last.pt"
    assert folder.best_checkpoint == tmp_path / "r" / "checkpoints" / "best.pt"
    assert folder.tensorboard == tmp_path / "r" / "tensorboard"
    assert RunFolder(str(tmp_path / "r")) == folder


def test_a_checkpoint_stands_for_its_run_folder(tmp_path):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    assert RunFolder.of_checkpoint(run).path == run.resolve()
    assert RunFolder.of_checkpoint(run / "checkpoints" / "best.pt").path == run.resolve()


def test_new_folders_never_collide(tmp_path):
    first = RunFolder.new(tmp_path, "joint").path
    first.mkdir()
    second = RunFolder.new(tmp_path, "joint").path
    assert first.parent == tmp_path and first.name.endswith("-joint")
    assert second.name == f"{first.name}-2"


def test_state_is_the_reports_and_none_without_one(tmp_path, started_run):
    assert RunFolder(started_run.run_dir).state() is RunState.FINISHED
    assert RunFolder(tmp_path).state() is None
    (tmp_path / "report.h5").write_bytes(b"not a report")
    assert RunFolder(tmp_path).state() is None


def test_a_folder_holding_a_run_is_refused_then_cleared_under_its_lock(tmp_path, started_run):
    copy = RunFolder(tmp_path / "copy")
    shutil.copytree(started_run.run_dir, copy.path, ignore=shutil.ignore_patterns("*.lock"))
    assert copy.holds_run()
    with pytest.raises(RunFolderError, match="holds a run already"):
        copy.check()
    copy.check(resuming_here=True)
    with copy.lock():
        assert copy.holder() is not None
        with pytest.raises(RunLockedError):
            copy.lock().acquire()
        removed = copy.clear()
    assert copy.holder() is None
    assert {Path(p).name for p in removed} >= {"report.h5", "config.toml", "last.pt", "best.pt"}
    assert not copy.holds_run() and not copy.report.exists()
    copy.check()


def test_states_are_their_strings():
    assert RunState.FINISHED == "finished" and f"{RunState.STOPPED}" == "stopped"
    assert RunState("failed") is RunState.FAILED
    assert ended_state(stopped=False, failed=False) is RunState.FINISHED
    assert ended_state(stopped=True, failed=False) is RunState.STOPPED
    assert ended_state(stopped=True, failed=True) is RunState.FAILED
