"""Curves: EMA smoothing, x axes, charts, CSV export, run overlay, and timer-driven redraws."""

from __future__ import annotations

import csv
import time

import numpy as np
import pytest

from app.session import Session
from app.state.curves import CurveRun, chart_of, ema, write_curves_csv
from app.state.metrics import MetricSeries
from app.views.curves import LIVE_REFRESH_MS, REFRESH_MS, CurvesPane
from core import events as ev
from core.report.reader import open_report


def reference_ema(values, weight):
    out, last = [], 0.0
    for i, value in enumerate(values):
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight ** (i + 1)))
    return np.asarray(out)


@pytest.mark.parametrize("weight", [0.0, 0.01, 0.6, 0.9, 0.99, 0.999])
def test_ema_matches_the_textbook_recurrence(weight):
    values = np.random.default_rng(1).normal(size=20_000).cumsum()
    np.testing.assert_allclose(ema(values, weight), reference_ema(values, weight), rtol=1e-9, atol=1e-9)


def test_ema_is_fast_and_checks_its_weight():
    values = np.random.default_rng(2).normal(size=100_000)
    start = time.perf_counter()
    ema(values, 0.9)
    assert time.perf_counter() - start < 0.05
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ema(values, 1.0)


@pytest.mark.parametrize(
    ("key", "chart"),
    [("loss", "Loss"), ("val/loss/x1", "Loss"), ("train/acc", "Accuracy"), ("acc/audio", "Accuracy"),
     ("mi/U/video", "MI terms"), ("val/mi/co_information", "MI terms"), ("train/resampled_copies", "Re-sampling"),
     ("lr", "Other"), ("epoch_time_s", "Other")],
)
def test_metric_keys_find_their_chart(key, chart):
    assert chart_of(key) == chart


def test_x_axes_place_steps_and_epochs_consistently():
    step = {"loss": MetricSeries.of(np.arange(1, 9), 100.0 + np.arange(1, 9), np.linspace(2, 1, 8))}
    epoch = {"val/loss": MetricSeries.of(np.array([1, 2]), np.array([104.5, 108.5]), np.array([1.5, 1.1]))}
    run = CurveRun("r", step, epoch, epoch_last_step={0: 4, 1: 8}, steps_per_epoch=4, start_wall=100.0)
    x, _ = run.points("epoch:val/loss", "step")
    np.testing.assert_array_equal(x, [4, 8])
    x, _ = run.points("step:loss", "epoch")
    np.testing.assert_allclose(x, np.arange(1, 9) / 4)
    x, _ = run.points("epoch:val/loss", "wall time")
    np.testing.assert_allclose(x, [4.5, 8.5])
    x, y = run.points("step:missing", "step")
    assert len(x) == len(y) == 0


def test_csv_is_written_atomically(tmp_path):
    path = write_curves_csv(tmp_path / "c.csv", [("run", "loss", np.array([1.0, 2.0]), np.array([3.0, 4.0]),
                                                  np.array([3.0, 3.5]))], "wall time")
    rows = list(csv.reader(path.open()))
    assert rows == [["run", "series", "wall_time", "value", "smoothed"], ["run", "loss", "1.0", "3.0", "3.0"],
                    ["run", "loss", "2.0", "4.0", "3.5"]]
    with pytest.raises(OSError):
        write_curves_csv(tmp_path / "missing" / "c.csv", [], "step")
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["c.csv"]


@pytest.fixture
def fed_pane(qtbot, vector_run):
    session = Session()
    for event in vector_run.events:
        session.apply(event)
    pane = CurvesPane(session)
    qtbot.addWidget(pane)
    pane.resize(900, 400)
    with qtbot.waitSignal(pane.redrawn, timeout=30_000):
        pane.show()
    yield pane
    pane.hide()
    assert not pane.timer.isActive()


def test_pane_draws_default_series_smoothed_over_raw(fed_pane):
    pane = fed_pane
    assert pane.shown_curves() == [("current run", "epoch:train/loss"), ("current run", "epoch:val/loss"),
                                   ("current run", "step:loss")]
    raw_x, raw_y = pane.session.step_metrics["loss"].arrays()[0], pane.session.step_metrics["loss"].arrays()[2]
    x, y = pane.curve_data("current run", "step:loss")
    np.testing.assert_array_equal(x, raw_x)
    np.testing.assert_allclose(y, ema(raw_y, 0.6))
    pane.set_smoothing(0.0)
    pane.refresh()
    np.testing.assert_allclose(pane.curve_data("current run", "step:loss")[1], raw_y)
    pane.set_x_axis("epoch")
    pane.refresh()
    np.testing.assert_array_equal(pane.curve_data("current run", "epoch:val/loss")[0], [1, 2])
    assert pane.curve_data("current run", "step:loss")[0].max() == pytest.approx(2.0)


def test_charts_log_scale_and_series_toggles(fed_pane):
    pane = fed_pane
    pane.set_chart("Accuracy")
    pane.refresh()
    assert ("current run", "epoch:val/acc") in pane.shown_curves()
    labels = [pane.series_list.item(i).text() for i in range(pane.series_list.count())]
    assert "val/acc/x1" in labels and "acc (step)" in labels
    pane.set_series_checked("epoch:val/acc/x1", True)
    pane.refresh()
    assert ("current run", "epoch:val/acc/x1") in pane.shown_curves()
    pane.log_y.setChecked(True)
    assert pane.plot.getPlotItem().ctrl.logYCheck.isChecked()
    pane.set_chart("MI terms")
    pane.refresh()
    assert not pane.log_y.isChecked()
    assert any(series.startswith("epoch:val/mi/") for _, series in pane.shown_curves())
    pane.set_chart("Re-sampling")
    pane.refresh()
    assert ("current run", "epoch:resampling/user_copies") in pane.shown_curves()
    np.testing.assert_array_equal(pane.curve_data("current run", "epoch:resampling/user_copies")[1][:1],
                                  [pane.session.user_copies_by_epoch[0]])


def test_export_csv_holds_every_shown_curve(fed_pane, tmp_path):
    pane = fed_pane
    pane.set_smoothing(0.5)
    path = pane.export_csv(tmp_path / "loss.csv")
    rows = list(csv.DictReader(path.open()))
    assert {r["series"] for r in rows} == {"train/loss", "val/loss", "loss (step)"}
    step_rows = [r for r in rows if r["series"] == "loss (step)"]
    values = pane.session.step_metrics["loss"].arrays()[2]
    np.testing.assert_allclose([float(r["value"]) for r in step_rows], values)
    np.testing.assert_allclose([float(r["smoothed"]) for r in step_rows], ema(values, 0.5))


def test_other_runs_are_overlaid(fed_pane, vector_run):
    pane = fed_pane
    with open_report(vector_run.report) as report:
        name = pane.add_comparison(report)
    with open_report(vector_run.report) as report:
        second = pane.add_comparison(report)
    assert name == "vector-run" and second == "vector-run (2)"
    pane.refresh()
    shown = pane.shown_curves()
    assert (name, "step:loss") in shown and (second, "epoch:val/loss") in shown
    np.testing.assert_allclose(pane.curve_data(name, "step:loss")[1], pane.curve_data("current run", "step:loss")[1])
    pane.remove_comparison(name)
    pane.refresh()
    assert all(run != name for run, _ in pane.shown_curves())


def test_redraws_are_rate_limited_and_skipped_while_hidden(fed_pane, qtbot):
    pane = fed_pane
    redraws = []
    pane.redrawn.connect(lambda: redraws.append(time.monotonic()))
    event = ev.StepMetrics(1, 0, 1000, time.time(), {"loss": 0.5})
    start = time.monotonic()
    while time.monotonic() - start < 1.0:
        pane.session.apply(event)
        qtbot.wait(2)
    assert 2 <= len(redraws) <= 1000 / LIVE_REFRESH_MS + 1, "new data redraws at most every LIVE_REFRESH_MS"
    redraws.clear()
    pane.set_smoothing(0.3)
    qtbot.wait(4 * REFRESH_MS)
    assert len(redraws) == 1, "a changed setting redraws at once"
    pane.hide()
    redraws.clear()
    pane.session.apply(event)
    qtbot.wait(4 * REFRESH_MS)
    assert redraws == []
    with qtbot.waitSignal(pane.redrawn, timeout=30_000):
        pane.show()
    qtbot.wait(4 * REFRESH_MS)
    assert len(redraws) == 1, "nothing changed since: no more redraws"


def test_hover_reads_out_every_curve_at_the_cursor(fed_pane):
    from PySide6.QtCore import QPointF

    pane = fed_pane
    pane.set_smoothing(0.0)
    pane.refresh()
    x, y = pane.curve_data("current run", "step:loss")
    box = pane.plot.getPlotItem().vb
    box.autoRange()
    point = box.mapViewToScene(QPointF(float(x[2]), float(y[2])))
    pane._mouse_moved((point,))
    assert pane._hover_text.isVisible() and pane._hover_line.value() == pytest.approx(x[2], abs=0.5)
    text = pane._hover_text.textItem.toPlainText()
    assert "loss (step)" in text and f"{y[2]:.4g}" in text and "val/loss" in text
    pane._mouse_moved((QPointF(-1000, -1000),))
    assert not pane._hover_text.isVisible()


@pytest.mark.parametrize(
    ("key", "unit"),
    [("loss", "nats"), ("val/loss/x1", "nats"), ("train/acc", "fraction"), ("val/f1/x1", "fraction"),
     ("train/samples_per_s", "samples/s"), ("epoch_time_s", "s"), ("val/mi/U/x1", "nats"),
     ("val/mi/perm_importance/x1", "fraction"), ("train/resampled_copies", "copies"), ("lr", "learning rate")],
)
def test_metric_keys_have_units(key, unit):
    from app.state.curves import series_unit

    assert series_unit(key) == unit


def test_y_axes_are_labelled_with_units_and_throughput_gets_its_own(fed_pane, qtbot):
    pane = fed_pane
    plot_item = pane.plot.getPlotItem()
    assert plot_item.getAxis("left").labelText == "loss (nats)" and not plot_item.getAxis("right").isVisible()
    pane.set_chart("Other")
    for series in ("epoch:val/f1", "epoch:train/f1", "epoch:train/samples_per_s"):
        pane.set_series_checked(series, True)
    pane.set_series_checked("epoch:lr", False)
    pane.refresh()
    sides = {series: pane._curves[("current run", series)].side for _, series in pane.shown_curves()}
    assert sides["epoch:val/f1"] == sides["epoch:train/f1"] == "left" and sides["epoch:train/samples_per_s"] == "right"
    assert {series for series, side in sides.items() if side == "right"} == {"epoch:train/samples_per_s"}
    assert plot_item.getAxis("left").labelText == "fraction"
    assert plot_item.getAxis("right").isVisible() and plot_item.getAxis("right").labelText == "samples/s"
    f1 = pane._curves[("current run", "epoch:val/f1")].smooth
    qtbot.waitUntil(lambda: plot_item.vb.viewRange()[1][1] <= 1.2, timeout=30_000)  # F1 fills the left axis
    assert f1.getViewBox() is plot_item.vb and pane.right_box.viewRange()[1][1] > 10


def test_series_names_are_not_cut(fed_pane):
    pane = fed_pane
    pane.set_chart("MI terms")
    pane.refresh()
    longest = max((pane.series_list.item(i).text() for i in range(pane.series_list.count())), key=len)
    assert pane.splitter.sizes()[1] >= pane.fontMetrics().horizontalAdvance(longest) + 40


def test_an_empty_run_does_not_keep_the_last_runs_axes(fed_pane, vector_demo):
    from app.state.samples import SampleSet
    from core.data.manifest import load_manifest

    pane = fed_pane
    pane.refresh()
    box = pane.plot.getPlotItem().vb
    box.setRange(xRange=(3, 7), yRange=(0.5, 2))  # the user zoomed into the run shown
    pane.session.show_dataset(SampleSet.from_samples(load_manifest(vector_demo)))  # nothing trained on it
    pane.refresh()
    assert all(pane.curve_data(*key)[0] is None or not len(pane.curve_data(*key)[0]) for key in pane.shown_curves())
    assert box.viewRange() == [[0, 1], [0, 1]] and not pane.plot.getPlotItem().getAxis("right").isVisible()
