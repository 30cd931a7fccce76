"""A report written from hand-made events reads back exactly, live behaviours included."""

from __future__ import annotations

import logging
import tomllib

import h5py
import numpy as np
import pytest

import core
from core.events import (
    EpochMetrics,
    EventBus,
    LogMessage,
    RunFailed,
    RunFinished,
    StepMetrics,
    ValuationReady,
)
from core.report import ReportError, ReportWriter, open_report, validate_report
from core.valuation.result import ValuationResult, coalition_labels
from tests.report import run_events as ev


@pytest.fixture
def report_path(tmp_path, data):
    """The synthetic run written through an EventBus subscription."""
    path = tmp_path / "run.h5"
    bus = EventBus()
    writer = ReportWriter(path, git_commit="abc123")
    bus.subscribe(writer)
    for event in ev.run(data, epochs=3):
        bus.emit(event)
    assert not writer.is_open
    return path


def test_every_array_round_trips(report_path, data):
    events = ev.run(data, epochs=3)
    with open_report(report_path) as report:
        assert report.format_version == 2
        assert report.state == "finished"
        assert report.modalities == ev.MODALITIES
        assert report.creator == f"ModaLens {core.__version__}"
        assert (report.epochs_done, report.best_epoch, report.best_val_accuracy) == (3, 2, 0.6)
        for event in events:
            if isinstance(event, ValuationReady):
                r = event.result
                split = report.valuation[r.split]
                row = list(split.epochs).index(r.epoch)
                assert np.array_equal(split.sample_index, r.sample_index)
                assert np.array_equal(split.phi[row], r.phi)
                assert np.array_equal(split.coalition_values[row], r.coalition_values)
                assert np.array_equal(split.prediction[row], r.prediction)
                assert np.array_equal(split.correct[row], r.correct)
                assert np.allclose(split.mean_phi[row], r.mean_phi)
                if r.phi_stderr is None:
                    assert split.phi_stderr is None
                else:
                    assert np.array_equal(split.phi_stderr[row], r.phi_stderr)
                assert split.value_fn == r.value_fn and split.method == r.method
                assert split.coalition_labels == coalition_labels(r.modalities)
        assert report.valuation["train"].epochs.tolist() == [0, 1, 2]

        steps = [e for e in events if isinstance(e, StepMetrics)]
        table = report.step_metrics
        assert table["global_step"].tolist() == [s.global_step for s in steps]
        assert table["step"].tolist() == [s.step for s in steps]
        assert table["epoch"].tolist() == [s.epoch for s in steps]
        assert table["wall_time"].tolist() == [s.wall_time for s in steps]
        for key in ("loss", "acc", "acc/audio"):
            assert table[key].tolist() == [s.metrics[key] for s in steps]
        # a key first seen in epoch 1: NaN for the steps before it
        expected = [s.metrics.get("grad_norm", np.nan) for s in steps]
        assert np.array_equal(table["grad_norm"], np.asarray(expected), equal_nan=True)
        assert "mi/U/audio" not in table
        assert report.mi_step["mi/U/audio"].tolist() == [s.metrics["mi/U/audio"] for s in steps]
        assert report.mi_step["global_step"].tolist() == table["global_step"].tolist()

        epochs = [e for e in events if isinstance(e, EpochMetrics)]
        for key in ("train/loss", "train/acc", "val/acc"):
            assert report.epoch_metrics[key].tolist() == [e.metrics[key] for e in epochs]
        assert report.epoch_metrics["epoch"].tolist() == [0, 1, 2]
        assert "val/mi/U/audio" not in report.epoch_metrics
        assert report.mi_epoch["val/mi/U/audio"].tolist() == [e.metrics["val/mi/U/audio"] for e in epochs]

        plans = [e for e in events if type(e).__name__ == "ResamplingPlanned"]
        table = report.resampling
        assert table.epoch.tolist() == [p.epoch for p in plans for _ in p.sample_index]
        assert table.sample_index.tolist() == [i for p in plans for i in p.sample_index.tolist()]
        assert table.modality.tolist() == [i for p in plans for i in p.modality.tolist()]
        assert table.copies.tolist() == [i for p in plans for i in p.copies.tolist()]
        assert table.user_requested.tolist() == [i for p in plans for i in p.user_requested.tolist()]
        assert table.copies_per_epoch() == {1: 3, 2: 6, 3: 10}


def test_dataset_config_and_environment_round_trip(report_path, data):
    with open_report(report_path) as report:
        stored = report.dataset
        assert stored.ids.tolist() == data.samples.ids.tolist()  # includes a non-ASCII id
        assert stored.labels.tolist() == data.samples.labels.tolist()
        assert stored.rows.tolist() == data.samples.rows.tolist()
        assert stored.splits.tolist() == data.samples.splits.tolist()
        assert stored.class_names == data.samples.class_names
        assert stored.root == str(data.root)
        assert {m: p.tolist() for m, p in stored.media.items()} == {m: p.tolist() for m, p in data.samples.media.items()}
        assert stored.modality_kinds == data.samples.modality_kinds
        assert stored.metadata["speaker"].tolist() == data.samples.metadata["speaker"].tolist()
        assert np.array_equal(stored.metadata["snr"], data.samples.metadata["snr"])
        assert stored.excluded == data.excluded

        started = ev.run_started(data)
        assert report.config_toml == started.config_toml
        assert report.config.optim.lr == 0.01
        assert report.config.valuation.splits == ["train", "val"]
        assert report.config_values["optim.lr"] == 0.01
        assert report.config_values["data.modalities"] == ["audio", "video"]
        assert report.config_values["runtime.pin_memory"] is True
        assert tomllib.loads(report.config_toml)["optim"]["epochs"] == 3

        env = report.environment
        assert env["git_commit"] == "abc123" and env["device"] == "cpu"
        assert env["numpy"] == np.__version__ and env["h5py"] == h5py.__version__
        for key in ("python", "torch", "pyside6", "opencv", "hostname", "start_time", "end_time"):
            assert env[key], key


def test_nexus_default_chain_points_at_mean_phi_curves(report_path):
    with h5py.File(report_path, "r") as f:
        assert f.attrs["NX_class"] == "NXroot"
        entry = f[f.attrs["default"]]
        assert entry.attrs["NX_class"] == "NXentry"
        plot = entry[entry.attrs["default"]]
        assert plot.attrs["NX_class"] == "NXdata"
        assert plot.name == "/overview/mean_phi_train"
        signals = [plot.attrs["signal"], *plot.attrs["auxiliary_signals"]]
        assert signals == ["phi_audio", "phi_video"]
        assert plot[plot.attrs["axes"]][()].tolist() == [0, 1, 2]
        means = np.stack([plot[name][()] for name in signals], axis=1)
        assert np.array_equal(means, f["valuation/train/mean_phi"][()])
        assert f["valuation/train/phi"].chunks[0] == 1
        assert f["valuation/train/phi"].compression == "gzip" and f["valuation/train/phi"].shuffle
    assert validate_report(report_path) == []


def test_select_and_sample_history_read_slices(report_path, data):
    with open_report(report_path) as report:
        train = report.valuation["train"]
        picked = train.select(epoch=1, samples=[5, 0], modality="video")
        assert picked.epochs.tolist() == [1]
        assert picked.sample_index.tolist() == [5, 0]
        assert picked.modalities == ["video"]
        assert np.array_equal(picked.phi[0, :, 0], train.phi[1, [5, 0], 1])
        assert np.array_equal(picked.coalition_values[0], train.coalition_values[1, [5, 0]])
        spread = train.select(epoch=[2, 0], samples=np.array([6, 2, 4]))
        assert np.array_equal(spread.phi, train.phi[[2, 0]][:, [6, 2, 4]])
        assert np.array_equal(spread.correct, train.correct[[2, 0]][:, [6, 2, 4]])

        history = report.sample_history("train", 3)
        assert history.sample_id == "clip-ß3" and history.label == int(data.samples.labels[3])
        assert np.array_equal(history.phi, train.phi[:, 3])
        assert np.array_equal(history.prediction, train.prediction[:, 3])
        assert history.resampled["copies"].tolist() == [4]  # sample 3 is planned only for epoch 3

        val = report.valuation["val"]
        assert report.sample_history("val", 8).phi_stderr.shape == (3, 2)
        assert np.array_equal(val.select(samples=[9]).phi[:, 0], val.phi[:, 2])
        with pytest.raises(ReportError, match="no epoch 7"):
            train.select(epoch=7)
        with pytest.raises(ReportError, match="not valued in split 'train'"):
            train.select(samples=[8])
        with pytest.raises(ReportError, match="no modality 'depth'"):
            train.select(modality="depth")
        with pytest.raises(ReportError, match="no valuation of split 'test'"):
            report.sample_history("test", 0)


def _result(epoch, index, value, split="train"):
    n = len(index)
    return ValuationResult(
        epoch=epoch,
        split=split,
        value_fn="benefit",
        modalities=list(ev.MODALITIES),
        sample_index=np.asarray(index),
        phi=np.full((n, 2), value, np.float32),
        coalition_values=np.full((n, 4), value, np.float32),
        prediction=np.full(n, epoch),
        correct=np.ones(n, bool),
    )


def test_changing_samples_resent_epochs_and_out_of_order_epochs(tmp_path, data):
    path = tmp_path / "r.h5"
    writer = ReportWriter(path)
    writer(ev.run_started(data))
    writer(ValuationReady(_result(0, [0, 1, 2], 1.0)))
    writer(ValuationReady(_result(1, [2, 4], 2.0)))  # sample 4 new, 0 and 1 not valued
    writer(ValuationReady(_result(1, [2, 4], 3.0)))  # the same epoch again replaces it
    writer(ValuationReady(_result(0, [0], 9.0)))  # an older epoch is ignored
    writer(EpochMetrics(epoch=0, wall_time=1.0, metrics={"val/acc": 0.5}))
    writer(EpochMetrics(epoch=0, wall_time=2.0, metrics={"val/acc": 0.7}))
    writer(LogMessage(level="info", text="not stored"))
    with open_report(path) as report:
        train = report.valuation["train"]
        assert train.epochs.tolist() == [0, 1]
        assert train.sample_index.tolist() == [0, 1, 2, 4]
        assert np.array_equal(train.phi[:, :, 0], [[1, 1, 1, np.nan], [np.nan, np.nan, 3, 3]], equal_nan=True)
        assert train.prediction.tolist() == [[0, 0, 0, -1], [-1, -1, 1, 1]]
        assert np.allclose(train.mean_phi, [[1, 1], [3, 3]])
        assert report.epoch_metrics["val/acc"].tolist() == [0.7]
        assert report.state == "running"
    writer(RunFinished(epochs_done=2, stopped=True, best_epoch=None, best_val_accuracy=None))
    with open_report(path) as report:
        assert report.state == "stopped" and report.best_epoch is None
    assert validate_report(path) == []


def test_run_failed_records_the_error(tmp_path, data):
    path = tmp_path / "r.h5"
    writer = ReportWriter(path)
    for event in ev.run(data, epochs=1)[:-1]:
        writer(event)
    writer(RunFailed(error="CUDA out of memory", traceback="Traceback ...\nRuntimeError"))
    with open_report(path) as report:
        assert report.state == "failed"
        assert report.failure == ("CUDA out of memory", "Traceback ...\nRuntimeError")
        assert report.valuation["train"].epochs.tolist() == [0]
        assert report.environment["end_time"]
    assert validate_report(path) == []
    assert not (tmp_path / "r.h5.tmp").exists()


def test_resume_keeps_epochs_before_start_epoch(tmp_path, data):
    path = tmp_path / "r.h5"
    writer = ReportWriter(path)
    for event in ev.run(data, epochs=3)[:-1]:
        writer(event)
    writer.close()  # the process ends without RunFinished
    with open_report(path) as report:
        created = report.created
    resumed = ReportWriter(path)
    resumed(ev.run_started(data, start_epoch=2, total_epochs=4))
    with open_report(path) as report:
        assert report.valuation["train"].epochs.tolist() == [0, 1]
        assert report.epoch_metrics["epoch"].tolist() == [0, 1]
        assert set(report.step_metrics["epoch"].tolist()) == {0, 1}
        assert report.resampling.epoch.max() == 2  # the plan made for epoch 2 is kept
        assert report.created == created
    for epoch in (2, 3):
        for event in ev.epoch_events(data, epoch):
            resumed(event)
    resumed(RunFinished(epochs_done=4, stopped=False, best_epoch=3, best_val_accuracy=0.7))
    with open_report(path) as report:
        assert report.valuation["train"].epochs.tolist() == [0, 1, 2, 3]
        assert report.step_metrics["global_step"].tolist() == list(range(12))
        assert report.resampling.copies_per_epoch() == {1: 3, 2: 6, 3: 10, 4: 15}
        expected = ev.valuation(data, "val", 3, stderr=True)
        assert np.array_equal(report.valuation["val"].phi[3], expected.phi)
    assert validate_report(path) == []


def test_bad_events_raise_clear_errors(tmp_path, data):
    writer = ReportWriter(tmp_path / "r.h5")
    writer(ev.run_started(data))
    bad = _result(0, [0, 1], 1.0)
    bad = ValuationResult(**{**bad.__dict__, "phi": np.zeros((3, 2), np.float32)})
    with pytest.raises(ValueError, match=r"phi has shape \(3, 2\), expected \(2, 2\)"):
        writer(ValuationReady(bad))
    with pytest.raises(ValueError, match="more than once"):
        writer(ValuationReady(_result(0, [1, 1], 1.0)))
    writer.close()


def test_unsorted_sample_index_is_searched_correctly(tmp_path, data):
    path = tmp_path / "r.h5"
    writer = ReportWriter(path)
    writer(ev.run_started(data))
    writer(ValuationReady(_result(0, [6, 2, 0, 4], 1.0)))
    writer(ValuationReady(_result(1, [0, 2, 4, 6], 2.0)))
    writer.close()
    with h5py.File(path, "r") as f:
        assert f["valuation/train"].attrs["sample_index_sorted"] == 0
    with open_report(path) as report:
        train = report.valuation["train"]
        assert train.sample_index.tolist() == [6, 2, 0, 4]
        assert train.select(samples=[0, 6]).phi[:, :, 0].tolist() == [[1, 1], [2, 2]]
        with pytest.raises(ReportError, match=r"sample index \[3\] not valued"):
            train.positions([3])
    sorted_path = tmp_path / "s.h5"
    writer = ReportWriter(sorted_path)
    writer(ev.run_started(data))
    writer(ValuationReady(_result(0, [1, 3, 5], 1.0)))
    writer.close()
    with open_report(sorted_path) as report:
        train = report.valuation["train"]
        assert train.positions([5, 1]).tolist() == [2, 0]  # binary search on disk, nothing loaded
        assert "sample_index" not in vars(train)
        with pytest.raises(ReportError, match=r"sample index \[4, 0\] not valued"):
            train.positions([4, 0])


def test_resuming_onto_a_foreign_file_sets_it_aside(tmp_path, data):
    path = tmp_path / "r.h5"
    path.write_text("not a report")
    writer = ReportWriter(path)
    writer(ev.run_started(data, start_epoch=2))
    writer.close()
    assert (tmp_path / "r.h5.damaged").read_text() == "not a report"
    with open_report(path) as report:
        assert report.state == "running" and report.valuation == {}


def test_a_failing_writer_does_not_stop_the_bus(tmp_path, data, caplog):
    caplog.set_level(logging.DEBUG, logger="core")
    bus = EventBus()
    writer = ReportWriter(tmp_path / "no" / "such" / "folder" / "r.h5")
    seen = []
    bus.subscribe(writer)
    bus.subscribe(seen.append)
    for event in ev.run(data, epochs=1):
        bus.emit(event)
    assert len(seen) == len(ev.run(data, epochs=1))
    assert not writer.is_open
    assert "listener" in caplog.text and "no run started" in caplog.text
