"""Report actions: follow a live report, find moved media, export by scope, refuse bad files clearly."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PySide6.QtWidgets import QWidget

from app.prompts import AutoPrompter, ExportChoice
from app.reports import ReportActions
from app.session import Session
from core import events as ev
from core.report.errors import ReportError
from core.report.reader import open_report
from core.report.writer import ReportWriter


@pytest.fixture
def actions(qtbot, settings):
    parent = QWidget()
    qtbot.addWidget(parent)
    prompter = AutoPrompter()
    actions = ReportActions(Session(), settings, prompter, parent)
    yield actions
    actions.stop_following()
    assert not actions.timer.isActive()


def replay(writer: ReportWriter, events, stop) -> int:
    for position, event in enumerate(events):
        writer(event)
        if stop(event):
            return position + 1
    return len(events)


def test_following_a_live_report_picks_up_new_epochs_then_stops(actions, vector_run, tmp_path):
    path = tmp_path / "live.h5"
    writer = ReportWriter(path)
    done = replay(writer, vector_run.events, lambda e: isinstance(e, ev.ValuationReady))
    try:
        assert actions.follow(path)
        assert actions.following and actions.timer.isActive()
        assert actions.timer.interval() == 1000
        session = actions.session
        assert session.epochs() == [0] and session.run_state == "running"
        actions.poll()
        assert session.epochs() == [0]
        more = replay(writer, vector_run.events[done:], lambda e: isinstance(e, ev.ValuationReady))
        actions.poll()
        assert session.epochs() == [0, 1] and actions.following
        replay(writer, vector_run.events[done + more:], lambda e: False)
        actions.poll()
        assert session.run_state == "finished"
        assert not actions.following and not actions.timer.isActive()
    finally:
        writer.close()
    assert settings_recent(actions) == [("report", str(path))]


def settings_recent(actions):
    return [(r.kind, r.path) for r in actions.settings.recent_files()]


def test_following_a_finished_report_just_opens_it(actions, vector_run):
    assert actions.follow(vector_run.report)
    assert not actions.following and actions.session.epochs() == [0, 1]


def test_missing_media_are_asked_for(actions, vector_run, vector_demo, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(vector_demo, moved)
    report = tmp_path / "report.h5"
    shutil.copy(vector_run.report, report)
    prompter = actions.prompter
    original_root = str(vector_demo)
    shutil.move(vector_demo, tmp_path / "hidden")
    try:
        prompter.answer, prompter.paths = False, []
        assert actions.open(report)
        assert str(actions.session.dataset.root) == original_root and not actions.session.dataset.media_found()
        assert prompter.messages[-1][:2] == ("question", "Dataset folder not found")
        prompter.answer, prompter.paths = True, [str(tmp_path)]
        assert actions.open(report)
        assert prompter.messages[-1][0] == "warning" and not actions.session.dataset.media_found()
        prompter.paths = [str(moved)]
        assert actions.open(report)
        assert actions.session.dataset.root == moved and actions.session.dataset.media_found()
    finally:
        shutil.move(tmp_path / "hidden", vector_demo)


def test_export_by_scope(actions, vector_run, tmp_path):
    with pytest.raises(ReportError, match="no report"):
        actions.export(tmp_path / "x.h5")
    assert actions.open(vector_run.report)
    prompter = actions.prompter
    selected = np.array([0, 2, 5])
    prompter.export = ExportChoice("selection", "train")
    prompter.paths = [str(tmp_path / "selection.h5")]
    path = actions.export_dialog(selected, np.arange(10))
    with open_report(path) as report:
        np.testing.assert_array_equal(report.dataset.ids, actions.session.dataset.ids[selected])
        assert list(report.valuation) == ["train"]
    prompter.export = ExportChoice("run")
    prompter.paths = [str(tmp_path / "whole.h5")]
    with open_report(actions.export_dialog(selected, np.arange(10))) as report:
        assert len(report.dataset) == len(actions.session.dataset)
    prompter.paths = []
    assert actions.export_dialog(selected, selected) is None, "cancelled file dialog"
    prompter.paths = [str(vector_run.report)]
    assert actions.export_dialog(selected, selected) is None
    assert prompter.messages[-1][:2] == ("error", "Cannot export report")
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("content", [b"", b"plain text", b"\x89HDF\r\n\x1a\n" + b"\0" * 100])
def test_bad_report_files_get_a_message_not_a_traceback(actions, tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    assert not actions.open(path)
    kind, title, text = actions.prompter.messages[-1]
    assert (kind, title) == ("error", "Cannot open report")
    assert str(path) in text and "Traceback" not in text
    assert actions.session.dataset is None
