"""--tensorboard writes event files TensorBoard reads: losses, accuracies, mean φ, re-sampling counts."""

import pytest

from core.cli.main import main

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def test_train_with_tensorboard_writes_curves_beside_the_report(tmp_path):
    assert main(["demo", "--scenario", "vectors", "--samples", "60", "--out", str(tmp_path / "D")]) == 0
    run = tmp_path / "R"
    status = main(["train", "--data", str(tmp_path / "D"), "--out", str(run), "--device", "cpu",
                   "--epochs", "2", "--strategy", "sample-resampling", "--set", "warmup_epochs=1", "--tensorboard"])
    assert status == 0
    events = event_accumulator.EventAccumulator(str(run / "tensorboard"))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"step/loss", "epoch/train/loss", "epoch/val/acc", "phi/train/x1", "phi/val/x2", "resampling/copies"} <= tags
    assert [s.step for s in events.Scalars("epoch/train/loss")] == [1, 2]
    assert len(events.Scalars("step/loss")) >= 2
    assert (run / "report.h5").is_file()


def test_without_the_flag_no_event_files(tmp_path):
    assert main(["demo", "--scenario", "vectors", "--samples", "60", "--out", str(tmp_path / "D")]) == 0
    run = tmp_path / "R"
    assert main(["train", "--data", str(tmp_path / "D"), "--out", str(run), "--device", "cpu", "--epochs", "1"]) == 0
    assert not (run / "tensorboard").exists()


def test_the_listener_writes_from_run_start_to_run_end_only(tmp_path):
    from core.events import LogMessage, RunFinished
    from core.report.tensorboard import TensorBoardWriter
    from tests.report import run_events as ev

    data = ev.prepared()
    writer = TensorBoardWriter(tmp_path)
    writer(ev.step_metrics(0, 0))  # before the run starts: nothing is written, no folder made
    assert not writer.path.exists()
    for event in [ev.run_started(data), *ev.epoch_events(data, 0), LogMessage("info", "ignored")]:
        writer(event)
    writer(RunFinished(1, stopped=False, best_epoch=0, best_val_accuracy=0.5))
    writer(ev.epoch_metrics(1))  # after the end: ignored
    events = event_accumulator.EventAccumulator(str(writer.path))
    events.Reload()
    tags = set(events.Tags()["scalars"])
    assert {"step/loss", "phi/train/audio", "phi/val/video", "resampling/copies"} <= tags
    assert [s.step for s in events.Scalars("epoch/train/loss")] == [1]
