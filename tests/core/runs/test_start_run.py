"""start_run: the report writer is wired first, then the caller's listeners; ``report=False`` writes none."""

from __future__ import annotations

from core import events as ev
from core.report.reader import open_report
from core.run_files.state import RunState
from core.runs.start import start_run
from tests.core.runs.conftest import run_config


def test_the_run_writes_its_report_before_the_listeners_see_an_event(started_run):
    assert started_run.report_existed_at_start, "the report writer must see each event before the listeners"
    assert isinstance(started_run.events[-1], ev.RunFinished)
    with open_report(started_run.run_dir / "report.h5") as report:
        assert report.state == RunState.FINISHED
        assert report.epochs_done == 2
        assert sorted(report.valuation) == ["train", "val"]


def test_without_report_the_listeners_still_hear_the_run(tmp_path, demo_dir):
    seen: list = []
    engine = start_run(run_config(demo_dir, epochs=1), tmp_path / "run", [seen.append], report=False)
    assert not engine.run().failed
    assert isinstance(seen[-1], ev.RunFinished)
    assert not (tmp_path / "run" / "report.h5").exists()
    assert (tmp_path / "run" / "checkpoints" / "last.pt").is_file()
