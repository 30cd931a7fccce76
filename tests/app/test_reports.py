"""Reports through the controller (no window): follow a live report, find moved media, export by scope,
refuse bad files clearly; all reads in the background."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from app.controller import Mode
from app.prompts import ExportChoice
from core import events as ev
from core.report.errors import ReportError
from core.report.reader import open_report
from core.report.writer import ReportWriter
from tests.app.helpers import open_report as opened
from tests.app.helpers import wait_polled


@pytest.fixture
def actions(make_controller):
    return make_controller()


def exported(qtbot, actions, selected, filtered):
    """Run the export dialog with the prompter's answers; the written path, or None."""
    actions.session.selection, actions.session.filtered = np.asarray(selected), np.asarray(filtered)
    task = actions.export_dialog()
    if task is None:
        return None
    result = []
    task.done.connect(result.append)
    qtbot.waitUntil(task.finished, timeout=30_000)
    qtbot.wait(1)
    return result[0] if result else None


def replay(writer: ReportWriter, events, stop) -> int:
    for position, event in enumerate(events):
        writer(event)
        if stop(event):
            return position + 1
    return len(events)


@pytest.mark.parametrize("follow", [True, False], ids=["follow", "open"])
def test_following_a_live_report_picks_up_new_epochs_then_stops(qtbot, actions, vector_run, tmp_path, follow):
    """Following, or just opening, a report whose run is still writing it keeps it up to date."""
    path = tmp_path / "live.h5"
    writer = ReportWriter(path)
    done = replay(writer, vector_run.events, lambda e: isinstance(e, ev.ValuationReady))
    try:
        assert opened(qtbot, actions, path, follow=follow)
        assert actions.following and actions.timer.isActive() and actions.mode == Mode.FOLLOWING
        assert actions.timer.interval() == 1000
        session = actions.session
        assert session.epochs() == [0] and session.run_state == "running"
        assert not actions.can("pause") and not actions.can("stop") and not actions.can("start")
        actions.timer.stop()  # the test polls by hand
        wait_polled(qtbot, actions)
        assert session.epochs() == [0]
        more = replay(writer, vector_run.events[done:], lambda e: isinstance(e, ev.ValuationReady))
        wait_polled(qtbot, actions)
        assert session.epochs() == [0, 1] and actions.following
        replay(writer, vector_run.events[done + more:], lambda e: False)
        wait_polled(qtbot, actions)
        assert session.run_state == "finished" and actions.mode == Mode.REPORT
        assert not actions.following and not actions.timer.isActive()
        assert actions.can("start") and not actions.can("stop")
    finally:
        writer.close()
    assert settings_recent(actions) == [("report", str(path))]


def settings_recent(actions):
    return [(r.kind, r.path) for r in actions.settings.recent_files()]


def test_following_a_finished_report_just_opens_it(qtbot, actions, vector_run):
    assert opened(qtbot, actions, vector_run.report, follow=True)
    assert not actions.following and actions.session.epochs() == [0, 1] and actions.mode == Mode.REPORT


def test_missing_media_are_asked_for(qtbot, actions, vector_run, vector_demo, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(vector_demo, moved)
    report = tmp_path / "report.h5"
    shutil.copy(vector_run.report, report)
    prompter = actions.prompter
    original_root = str(vector_demo)
    shutil.move(vector_demo, tmp_path / "hidden")
    try:
        prompter.answer, prompter.paths = False, []
        assert opened(qtbot, actions, report)
        assert str(actions.session.dataset.root) == original_root and not actions.session.dataset.media_found()
        assert prompter.messages[-1][:2] == ("question", "Dataset folder not found")
        prompter.answer, prompter.paths = True, [str(tmp_path)]
        assert opened(qtbot, actions, report)
        assert prompter.messages[-1][0] == "warning" and not actions.session.dataset.media_found()
        prompter.paths = [str(moved)]
        assert opened(qtbot, actions, report)
        assert actions.session.dataset.root == moved and actions.session.dataset.media_found()
    finally:
        shutil.move(tmp_path / "hidden", vector_demo)


def test_export_by_scope(qtbot, actions, vector_run, tmp_path):
    with pytest.raises(ReportError, match="no report"):
        actions.export(tmp_path / "x.h5")
    assert opened(qtbot, actions, vector_run.report)
    prompter = actions.prompter
    selected = np.array([0, 2, 5])
    prompter.export = ExportChoice("selection", "train")
    prompter.paths = [str(tmp_path / "selection.h5")]
    path = exported(qtbot, actions, selected, np.arange(10))
    with open_report(path) as report:
        np.testing.assert_array_equal(report.dataset.ids, actions.session.dataset.ids[selected])
        assert list(report.valuation) == ["train"]
    prompter.export = ExportChoice("run")
    prompter.paths = [str(tmp_path / "whole.h5")]
    with open_report(exported(qtbot, actions, selected, np.arange(10))) as report:
        assert len(report.dataset) == len(actions.session.dataset)
    prompter.paths = []
    assert exported(qtbot, actions, selected, selected) is None, "cancelled file dialog"
    prompter.paths = [str(vector_run.report)]
    assert exported(qtbot, actions, selected, selected) is None
    assert prompter.messages[-1][:2] == ("error", "Cannot export report")
    assert not list(tmp_path.glob("*.tmp"))


def test_export_to_csv_writes_per_sample_values(qtbot, actions, vector_run, tmp_path):
    """A .csv destination gets one row per valued sample (not an HDF5 file): every valued split by default,
    only the chosen split and samples when asked."""
    import csv

    assert opened(qtbot, actions, vector_run.report)
    prompter = actions.prompter
    prompter.export = ExportChoice("run")
    prompter.paths = [str(tmp_path / "all.csv")]
    path = exported(qtbot, actions, [], np.arange(10))
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()))
    assert rows[0][:4] == ["id", "label", "label_index", "split"] and rows[0][4].startswith("phi/")
    with open_report(vector_run.report) as report:
        valued = sum(v.num_samples for v in report.valuation.values())
        splits = set(report.valuation)
    assert len(rows) - 1 == valued and {r[3] for r in rows[1:]} == splits
    selected = np.array([0, 2, 5])
    prompter.export = ExportChoice("selection", "train")
    prompter.paths = [str(tmp_path / "some.csv")]
    rows = list(csv.reader(exported(qtbot, actions, selected, np.arange(10)).read_text(encoding="utf-8").splitlines()))
    session = actions.session
    train = [i for i in selected if session.dataset.splits[i] == "train"]
    assert [r[0] for r in rows[1:]] == session.dataset.ids[train].tolist() and train


@pytest.mark.parametrize("content", [b"", b"plain text", b"\x89HDF\r\n\x1a\n" + b"\0" * 100])
def test_bad_report_files_get_a_message_not_a_traceback(qtbot, actions, tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    assert not opened(qtbot, actions, path)
    kind, title, text = actions.prompter.messages[-1]
    assert (kind, title) == ("error", "Cannot open report")
    assert str(path) in text and "Traceback" not in text
    assert actions.session.dataset is None
