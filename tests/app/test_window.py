"""The main window: layout memory, menus and shortcuts, status bar, palettes, first launch, closing."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QTabBar

from app.about import AboutDialog
from app.controller import Mode
from app.prompts import AutoPrompter
from core.report.reader import open_report
from tests.app.helpers import open_dataset, wait_run_ended
from tests.app.helpers import open_report as report_opened


def action_by_text(window, menu_title: str, text: str):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == menu_title)
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_menus_have_the_expected_actions_and_shortcuts(make_window):
    window = make_window()
    expected = {
        ("File", "Open dataset…"): QKeySequence(QKeySequence.StandardKey.Open),
        ("File", "Open report…"): QKeySequence("Ctrl+Shift+O"),
        ("File", "Follow live report…"): QKeySequence("Ctrl+L"),
        ("File", "Export report…"): QKeySequence("Ctrl+E"),
        ("File", "Quit"): QKeySequence(QKeySequence.StandardKey.Quit),
        ("Run", "Start training"): QKeySequence("F5"),
        ("Run", "Pause / resume"): QKeySequence("F6"),
        ("Run", "Stop"): QKeySequence("Shift+F5"),
        ("Run", "Resume from checkpoint…"): QKeySequence("Ctrl+F5"),
    }
    for (menu, text), shortcut in expected.items():
        assert action_by_text(window, menu, text).shortcut() == shortcut, text
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggles = {a.text() for a in view.actions()}
    assert {"Training", "Re-sampling", "Sample", "Contributions", "Curves", "φ over the dataset", "Log"} <= toggles
    assert not action_by_text(window, "File", "Export report…").isEnabled(), "nothing to export yet"
    assert action_by_text(window, "File", "Import dataset…").isEnabled()
    assert not action_by_text(window, "Run", "Value split now…").isEnabled(), "no finished run shown"


def test_default_layout_has_one_tab_bar_per_group(make_window):
    window = make_window()
    QApplication.processEvents()
    bars = [tuple(b.tabText(i) for i in range(b.count())) for b in window.findChildren(QTabBar) if b.isVisible()]
    assert sorted(bars) == [("Curves", "φ over the dataset", "Compare runs"), ("Training", "Re-sampling")]
    areas = {key: window.dockWidgetArea(dock) for key, dock in window.docks.items()}
    assert areas["training"] == Qt.DockWidgetArea.LeftDockWidgetArea
    assert areas["player"] == areas["contribution"] == Qt.DockWidgetArea.RightDockWidgetArea
    assert areas["curves"] == areas["datasetPlot"] == areas["compare"] == Qt.DockWidgetArea.BottomDockWidgetArea
    assert areas["log"] == Qt.DockWidgetArea.LeftDockWidgetArea


def test_layout_is_remembered_between_launches(make_window, settings):
    first = make_window()
    first.docks["log"].hide()
    first.removeDockWidget(first.docks["contribution"])
    first.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, first.docks["contribution"])
    first.docks["contribution"].show()
    first.resize(1200, 700)
    first.close()
    second = make_window(size=None)
    assert not second.docks["log"].isVisible()
    assert second.dockWidgetArea(second.docks["contribution"]) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert second.height() == 700  # (the width is clamped to the offscreen screen's 800 pixels)
    second.reset_layout()
    assert second.docks["log"].isVisibleTo(second)
    assert second.dockWidgetArea(second.docks["contribution"]) == Qt.DockWidgetArea.RightDockWidgetArea


def test_palette_switch_is_applied_and_remembered(make_window, settings):
    window = make_window()
    window.set_palette("dark")
    assert settings.palette == "dark"
    window_color = QApplication.instance().palette().color(window.palette().ColorRole.Window)
    assert window_color.lightness() < 80
    assert [a.isChecked() for a in window.palette_actions.actions()] == [False, True]
    window.set_palette("light")
    assert QApplication.instance().palette().color(window.palette().ColorRole.Window).lightness() > 200


def test_recent_files_menu(qtbot, make_window, vector_demo, tmp_path):
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    window._fill_recent_menu()
    entries = [a.text() for a in window.recent_menu.actions()]
    assert entries[0] == f"dataset: {vector_demo}"
    window.settings.add_recent("report", tmp_path / "gone.h5")
    window._fill_recent_menu()
    gone = window.recent_menu.actions()[0]
    assert gone.text().endswith("gone.h5") and not gone.isEnabled()


def test_status_bar_shows_device_state_and_time_left(qtbot, make_window, vector_demo):
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    window.training.epochs.setValue(2)
    window.training.batch_size.setValue(4)
    seen = []
    window.session.progress_changed.connect(lambda p: seen.append((window.progress.text(), window.remaining_label.text())))
    assert window.start_training()
    assert not window.banner.isVisible()
    wait_run_ended(qtbot, window.controller)
    assert window.session.run_state == "finished"
    assert "cpu" in window.device_label.text()
    assert window.state_label.text() == "Finished"
    assert any(text.startswith("epoch 2/2") for text, _ in seen)
    assert any(left.endswith("left") and "--" not in left for _, left in seen)
    assert action_by_text(window, "File", "Export report…").isEnabled()


def test_closing_during_training_asks_then_stops_and_saves(qtbot, make_window, vector_demo):
    prompter = AutoPrompter(close_answer="cancel")
    window = make_window(prompter)
    assert open_dataset(qtbot, window.controller, vector_demo)
    window.training.epochs.setValue(200)
    window.training.batch_size.setValue(2)
    assert window.start_training()
    # after a first step (a stop before any step has nothing to save)
    qtbot.waitUntil(lambda: window.session.run_state == "running" and bool(window.session.step_metrics), timeout=60_000)
    assert not window.close()
    assert window.isVisible() and window.controller.runner.busy
    assert prompter.messages[-1][1] == "Training is running"
    prompter.close_answer = "stop"
    assert window.close()
    assert not window.controller.runner.busy and window.controller.runner.worker_thread.isFinished()
    run_dir = window.session.run_dir
    assert (run_dir / "checkpoints" / "last.pt").is_file()
    with open_report(run_dir / "report.h5") as report:
        assert report.state == "stopped"


def test_first_launch_creates_the_demo_in_the_background(qtbot, make_window, tmp_path, monkeypatch):
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path / "data"))
    window = make_window()
    task = window.controller.open_demo(preset="vectors", samples=30)
    assert window.banner.isVisible() and "Creating the demo data" in window.banner.text.text()
    assert window.progress.isVisible(), "a progress bar from the start"
    qtbot.waitUntil(lambda: window.session.dataset is not None, timeout=30_000)
    qtbot.waitUntil(task.finished, timeout=30_000)
    assert len(window.session.dataset) == 30
    assert window.banner.button.isVisible() and "30 samples" in window.banner.text.text()
    assert (tmp_path / "data" / "demo-vectors" / "manifest.csv").is_file()
    again = window.controller.open_demo(preset="vectors", samples=30)
    qtbot.waitUntil(again.finished, timeout=30_000)


def test_following_a_live_report_turns_training_off(qtbot, make_window, vector_run, vector_demo, tmp_path):
    from core import events as ev
    from core.report.writer import ReportWriter

    writer = ReportWriter(tmp_path / "live.h5")
    for event in vector_run.events:
        writer(event)
        if isinstance(event, ev.ValuationReady):
            break
    try:
        window = make_window()
        assert report_opened(qtbot, window.controller, tmp_path / "live.h5", follow=True)
        assert window.mode == Mode.FOLLOWING and window.controller.following
        assert not window.training.start_button.isEnabled() and not window.act_start.isEnabled()
        assert not window.training.pause_button.isEnabled() and not window.training.stop_button.isEnabled()
        assert not window.act_pause.isEnabled() and not window.act_stop.isEnabled()
        assert window.state_label.text() == "Following live report"
        assert report_opened(qtbot, window.controller, vector_run.report)
        assert window.mode == Mode.REPORT and not window.controller.following
        assert window.training.start_button.isEnabled()
        assert window.training.data_folder.text() == str(vector_demo), "the report's config is shown"
    finally:
        writer.close()


@pytest.mark.parametrize("busy_action", ["open_dataset", "open_report", "follow_report"])
def test_opening_is_refused_while_training(qtbot, make_window, vector_demo, busy_action):
    prompter = AutoPrompter()
    window = make_window(prompter)
    assert open_dataset(qtbot, window.controller, vector_demo)
    window.training.epochs.setValue(200)
    window.training.batch_size.setValue(2)
    assert window.start_training()
    assert not getattr(window.controller, busy_action)(vector_demo)
    assert prompter.messages[-1][:2] == ("warning", "Training is running")
    window.controller.stop_training()
    wait_run_ended(qtbot, window.controller, 30_000)


def test_export_while_the_run_is_writing_its_report(qtbot, make_window, vector_demo, tmp_path):
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    window.training.epochs.setValue(200)
    window.training.batch_size.setValue(2)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.session.epochs() == [0] or len(window.session.epochs()) > 1, timeout=60_000)
    exported = window.controller.export(tmp_path / "live-copy.h5")
    with open_report(exported) as report:
        assert report.state == "running" and 0 in report.epochs().tolist()
        assert len(report.dataset) == len(window.session.dataset)
    window.controller.stop_training()
    qtbot.waitUntil(lambda: window.session.run_state == "stopped", timeout=30_000)


def test_an_unknown_palette_setting_does_not_stop_the_window(make_window, settings):
    settings.palette = "sepia"
    window = make_window()
    assert window.theme is None
    assert "palette 'sepia' not applied" in window.log.text.toPlainText()
    window.show_about()
    about = window.findChild(AboutDialog)
    assert about is not None and about.isVisible() and about.table.rowCount() >= 9
    about.close()


def test_the_demo_does_not_replace_what_was_opened_while_it_was_made(qtbot, make_window, vector_demo, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("MODALENS_DATA_DIR", str(tmp_path / "data"))
    window = make_window()
    task = window.controller.open_demo(preset="vectors", samples=30)
    assert open_dataset(qtbot, window.controller, vector_demo)
    qtbot.waitUntil(task.finished, timeout=30_000)
    qtbot.wait(50)
    assert window.session.dataset.root == vector_demo and len(window.session.dataset) == 48
    assert "Demo data ready" in window.statusBar().currentMessage()


def test_stopping_a_paused_run_shows_stopping_until_it_ends(qtbot, make_window, vector_demo):
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    window.training.epochs.setValue(200)
    window.training.batch_size.setValue(2)
    assert window.start_training()
    qtbot.waitUntil(lambda: window.session.run_state == "running", timeout=30_000)
    window.controller.toggle_pause()
    qtbot.waitUntil(lambda: window.session.run_state == "paused", timeout=30_000)
    shown = []
    window.session.run_state_changed.connect(
        lambda _: shown.append((window.state_label.text(), window.training.pause_button.isEnabled()))
    )
    window.controller.stop_training()
    assert window.state_label.text() == "Stopping…" and not window.training.pause_button.isEnabled()
    time.sleep(1.0)  # the engine ends before the window sees its last events (as on a busy machine)
    qtbot.waitUntil(lambda: window.session.run_state == "stopped", timeout=30_000)
    assert window.session.run_state == "stopped" and window.state_label.text() == "Stopped"
    assert shown and all(text in ("Stopping…", "Stopped") for text, _ in shown), shown  # never "Training"
    assert not any(enabled for _, enabled in shown[:-1])


def test_start_shows_a_busy_bar_at_once(qtbot, make_window, vector_demo):
    window = make_window()
    assert open_dataset(qtbot, window.controller, vector_demo)
    window.training.epochs.setValue(1)
    assert window.start_training()
    # before the engine has started (its imports take seconds the first time), the window says so
    assert not window.controller.runner.busy
    assert window.state_label.text() == "Preparing data…"
    assert window.progress.isVisible() and window.progress.maximum() == 0, "a busy bar"
    assert window.activity_label.text() == "Preparing data…"
    assert window.training.stop_button.isEnabled() and not window.training.start_button.isEnabled()
    wait_run_ended(qtbot, window.controller)
    assert window.activity_label.text() == "" and not window.progress.isVisible()


def test_a_report_opened_while_its_run_writes_it_is_followed_and_training_stays_off(qtbot, make_window, vector_run,
                                                                                     tmp_path):
    from core import events as ev
    from core.report.writer import ReportWriter

    writer = ReportWriter(tmp_path / "live.h5")
    position = next(i for i, e in enumerate(vector_run.events) if isinstance(e, ev.ValuationReady))
    for event in vector_run.events[: position + 1]:
        writer(event)
    try:
        window = make_window()
        assert report_opened(qtbot, window.controller, tmp_path / "live.h5")  # File → Open, not Follow
        assert window.mode == Mode.FOLLOWING and window.state_label.text() == "Following live report"
        assert "still writing it; following it" in window.log.text.toPlainText()
        for control in (window.training.pause_button, window.training.stop_button, window.act_pause, window.act_stop):
            assert not control.isEnabled()
        for event in vector_run.events[position + 1:]:
            writer(event)
        qtbot.waitUntil(lambda: window.mode == Mode.REPORT, timeout=30_000)  # the 1 s refresh saw the end
        assert sorted(window.session.valuations["train"]) == [0, 1]
        assert window.state_label.text() == "Report (finished)" and window.act_start.isEnabled()
        assert not window.act_pause.isEnabled() and not window.training.pause_button.isEnabled()
    finally:
        writer.close()


def test_a_report_to_compare_is_read_in_the_background(qtbot, make_window, vector_run, tmp_path):
    prompter = AutoPrompter()
    window = make_window(prompter)
    with qtbot.waitSignal(window.controller.comparison_read, timeout=30_000):
        window.curves.comparison_requested.emit(str(vector_run.report))  # as Runs → Add a report to compare…
    assert list(window.curves.comparisons) == ["vector-run"]
    bad = tmp_path / "bad.h5"
    bad.write_text("no report")
    window.curves.comparison_requested.emit(str(bad))
    qtbot.waitUntil(lambda: bool(prompter.messages), timeout=30_000)
    assert prompter.messages[-1][:2] == ("error", "Cannot open report") and str(bad) in prompter.messages[-1][2]
    assert list(window.curves.comparisons) == ["vector-run"]
