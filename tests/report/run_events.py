"""Hand-made engine events of a tiny synthetic run, for the report tests (no engine involved).

Run as a script it writes a report live, one epoch at a time, printing ``epoch K`` after each epoch:
``python -m tests.report.run_events PATH EPOCHS SLEEP_S``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from core.config import RunConfig
from core.data.samples import Exclusion, Samples
from core.data.tensors import PreparedData
from core.events import (
    EpochMetrics,
    ResamplingPlanned,
    RunFinished,
    RunStarted,
    StepMetrics,
    ValuationReady,
)
from core.valuation.result import ValuationResult

MODALITIES = ["audio", "video"]
STEPS_PER_EPOCH = 3


def prepared(n: int = 10) -> PreparedData:
    """Ten samples (7 train, 3 val) with media paths, metadata columns (one non-ASCII) and two exclusions."""
    ids = np.array([f"clip-{i:02d}" if i != 3 else "clip-ß3" for i in range(n)], dtype=object)
    return PreparedData(
        root=Path("/data/tiny"),
        samples=Samples(
            ids=ids,
            rows=np.arange(2, n + 2),
            labels=np.arange(n) % 3,
            class_names=["cat", "dog", "bird"],
            splits=np.array(["train"] * (n - 3) + ["val"] * 3, dtype=object),
            modalities=list(MODALITIES),
            modality_kinds={"audio": "audio", "video": "video"},
            media={m: np.array([f"{m}/{ids[i]}.dat" for i in range(n)], dtype=object) for m in MODALITIES},
            metadata={"speaker": np.array([f"spk{i % 2}" for i in range(n)], dtype=object), "snr": np.linspace(0, 1, n)},
        ),
        arrays={m: np.zeros((n, 2), np.float32) for m in MODALITIES},
        excluded=[
            Exclusion(row=20, sample_id="bad-1", column="video", file="video/bad-1.mp4", reason="cannot decode"),
            Exclusion(row=21, sample_id="", column="label", file="", reason="empty label"),
        ],
    )


def run_started(data: PreparedData, start_epoch: int = 0, total_epochs: int = 3) -> RunStarted:
    config = RunConfig()
    config.data.path = "/data/tiny"
    config.data.modalities = list(MODALITIES)
    config.optim.epochs = total_epochs
    config.optim.lr = 0.01
    config.valuation.splits = ["train", "val"]
    return RunStarted(
        run_dir="/runs/tiny",
        config_toml=config.to_toml(),
        device="cpu",
        modalities=list(MODALITIES),
        class_names=list(data.samples.class_names),
        num_train=int((data.samples.splits == "train").sum()),
        num_val=int((data.samples.splits == "val").sum()),
        start_epoch=start_epoch,
        total_epochs=total_epochs,
        steps_per_epoch=STEPS_PER_EPOCH,
        dataset=data,
    )


def valuation(data: PreparedData, split: str, epoch: int, stderr: bool = False) -> ValuationResult:
    """Deterministic values that differ per split, epoch, sample and modality."""
    index = data.samples.split_indices(split)
    n, m = len(index), len(MODALITIES)
    rng = np.random.default_rng(1000 * epoch + len(split))
    coalitions = rng.random((n, 2**m)).astype(np.float32)
    coalitions[:, 0] = 0
    phi = rng.normal(size=(n, m)).astype(np.float32)
    prediction = rng.integers(0, 3, n)
    return ValuationResult(
        epoch=epoch,
        split=split,
        value_fn="benefit",
        modalities=list(MODALITIES),
        sample_index=index,
        phi=phi,
        coalition_values=coalitions,
        prediction=prediction,
        correct=prediction == data.samples.labels[index],
        method="monte_carlo" if stderr else "exact",
        phi_stderr=rng.random((n, m)).astype(np.float32) if stderr else None,
    )


def step_metrics(epoch: int, step: int) -> StepMetrics:
    metrics = {"loss": 1.0 / (1 + epoch + step), "acc": 0.1 * step, "acc/audio": 0.2, "mi/U/audio": 0.01 * step}
    if epoch >= 1:
        metrics["grad_norm"] = 3.0 + step
    return StepMetrics(
        epoch=epoch,
        step=step,
        global_step=epoch * STEPS_PER_EPOCH + step,
        wall_time=100.0 + epoch * 10 + step,
        metrics=metrics,
    )


def epoch_metrics(epoch: int) -> EpochMetrics:
    metrics = {"train/loss": 1.0 / (1 + epoch), "train/acc": 0.5 + 0.1 * epoch, "val/acc": 0.4 + 0.1 * epoch}
    metrics["val/mi/U/audio"] = 0.05 * epoch
    return EpochMetrics(epoch=epoch, wall_time=200.0 + epoch, metrics=metrics)


def resampling(data: PreparedData, epoch: int) -> ResamplingPlanned:
    index = data.samples.split_indices("train")[: 2 + epoch]
    return ResamplingPlanned(
        epoch=epoch + 1,
        sample_index=index,
        modality=np.arange(len(index)) % 2,
        copies=np.arange(1, len(index) + 1),
        user_requested=np.arange(len(index)) == 0,
    )


def epoch_events(data: PreparedData, epoch: int, stderr_val: bool = True) -> list[object]:
    """Everything one epoch emits: steps, epoch metrics, train and val valuations, a re-sampling plan."""
    events: list[object] = [step_metrics(epoch, step) for step in range(STEPS_PER_EPOCH)]
    events.append(epoch_metrics(epoch))
    events.append(ValuationReady(valuation(data, "train", epoch)))
    events.append(ValuationReady(valuation(data, "val", epoch, stderr=stderr_val)))
    events.append(resampling(data, epoch))
    return events


def run(data: PreparedData, epochs: int = 3) -> list[object]:
    """A whole run, RunStarted to RunFinished."""
    events: list[object] = [run_started(data, total_epochs=epochs)]
    for epoch in range(epochs):
        events.extend(epoch_events(data, epoch))
    events.append(RunFinished(epochs_done=epochs, stopped=False, best_epoch=epochs - 1, best_val_accuracy=0.6))
    return events


def main(argv: list[str]) -> None:
    from core.report import ReportWriter

    path, epochs, pause = Path(argv[0]), int(argv[1]), float(argv[2])
    data = prepared()
    writer = ReportWriter(path, git_commit="abc123")
    writer(run_started(data, total_epochs=epochs))
    print("started", flush=True)
    for epoch in range(epochs):
        for event in epoch_events(data, epoch):
            writer(event)
        print(f"epoch {epoch}", flush=True)
        time.sleep(pause)
    writer(RunFinished(epochs_done=epochs, stopped=False, best_epoch=epochs - 1, best_val_accuracy=0.6))
    print("finished", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
