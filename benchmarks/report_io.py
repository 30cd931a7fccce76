"""Report I/O benchmark: write a big valuation run through ReportWriter, then time typical reads.

Prints one JSON object. Defaults: 1,000,000 samples × 2 modalities × 10 epochs, a re-sampling plan of
1% of the samples per epoch. ``write_s`` is the time spent inside the writer (RunStarted with the
dataset, every epoch's events, RunFinished); generating the random arrays is not counted.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from core.config import RunConfig
from core.data.samples import Samples
from core.data.tensors import PreparedData
from core.events import EpochMetrics, ResamplingPlanned, RunFinished, RunStarted, StepMetrics, ValuationReady
from core.report import ReportWriter, open_report
from core.valuation.result import ValuationResult


def dataset(n: int, modalities: list[str]) -> PreparedData:
    ids = np.char.add("sample_", np.arange(n).astype("U7")).astype(object)
    return PreparedData(
        root=Path("/data/big"),
        samples=Samples(
            ids=ids,
            rows=np.arange(2, n + 2),
            labels=np.arange(n) % 10,
            class_names=[f"class{k}" for k in range(10)],
            splits=np.full(n, "train", dtype=object),
            modalities=modalities,
            modality_kinds={m: "vector" for m in modalities},
            media={m: np.char.add(f"{m}/", ids.astype(str)).astype(object) for m in modalities},
            metadata={},
        ),
        arrays={},
    )


def epoch_events(rng: np.random.Generator, n: int, modalities: list[str], epoch: int) -> list[object]:
    m = len(modalities)
    prediction = rng.integers(0, 10, n).astype(np.int32)
    result = ValuationResult(
        epoch=epoch,
        split="train",
        value_fn="benefit",
        modalities=modalities,
        sample_index=np.arange(n),
        phi=rng.normal(size=(n, m)).astype(np.float32),
        coalition_values=rng.random((n, 2**m), dtype=np.float32),
        prediction=prediction,
        correct=prediction == np.arange(n) % 10,
    )
    planned = rng.choice(n, n // 100, replace=False)
    steps = [StepMetrics(epoch, s, epoch * 100 + s, float(s), {"loss": 1.0, "mi/U/a": 0.1}) for s in range(100)]
    return [
        *steps,
        EpochMetrics(epoch=epoch, wall_time=float(epoch), metrics={"train/acc": 0.5, "val/acc": 0.4}),
        ValuationReady(result),
        ResamplingPlanned(
            epoch=epoch + 1,
            sample_index=np.sort(planned),
            modality=rng.integers(0, m, len(planned)),
            copies=rng.integers(1, 4, len(planned)),
            user_requested=np.zeros(len(planned), bool),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument("--modalities", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--reads", type=int, default=20, help="samples whose history is read (cold and warm)")
    parser.add_argument("--keep", type=Path, default=None, help="write the report here and keep it (default: temp)")
    args = parser.parse_args()
    modalities = [f"m{j}" for j in range(args.modalities)]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "bench.h5"
        path.unlink(missing_ok=True)
        data = dataset(args.samples, modalities)
        writer = ReportWriter(path)
        started = RunStarted(
            run_dir=folder, config_toml=RunConfig().to_toml(), device="cpu", modalities=modalities,
            class_names=data.samples.class_names, num_train=args.samples, num_val=0, start_epoch=0,
            total_epochs=args.epochs, steps_per_epoch=100, dataset=data,
        )  # fmt: skip
        spent = {"start": 0.0, "valuation": 0.0, "other": 0.0}
        t = time.perf_counter()
        writer(started)
        spent["start"] += time.perf_counter() - t
        for epoch in range(args.epochs):
            for event in epoch_events(rng, args.samples, modalities, epoch):
                t = time.perf_counter()
                writer(event)
                spent["valuation" if isinstance(event, ValuationReady) else "other"] += time.perf_counter() - t
        t = time.perf_counter()
        writer(RunFinished(epochs_done=args.epochs, stopped=False, best_epoch=0, best_val_accuracy=0.4))
        spent["other"] += time.perf_counter() - t
        size_mb = path.stat().st_size / 1e6

        t = time.perf_counter()
        report = open_report(path)
        open_ms = (time.perf_counter() - t) * 1e3
        picks = rng.choice(args.samples, args.reads, replace=False)
        cold = []
        for index in picks:
            t = time.perf_counter()
            history = open_report(path).sample_history("train", int(index))
            cold.append((time.perf_counter() - t) * 1e3)
            assert len(history.epochs) == args.epochs
        report.sample_history("train", 0)
        warm = []
        for index in picks:
            t = time.perf_counter()
            report.sample_history("train", int(index))
            warm.append((time.perf_counter() - t) * 1e3)
        epoch_reads = []
        for epoch in rng.choice(args.epochs, min(5, args.epochs), replace=False):
            t = time.perf_counter()
            selection = report.valuation["train"].select(epoch=int(epoch))
            epoch_reads.append((time.perf_counter() - t) * 1e3)
            assert selection.phi.shape == (1, args.samples, args.modalities)
    print(
        json.dumps(
            {
                "samples": args.samples,
                "modalities": args.modalities,
                "epochs": args.epochs,
                "write_s": round(sum(spent.values()), 3),
                "write_valuations_s": round(spent["valuation"], 3),
                "write_run_started_s": round(spent["start"], 3),
                "write_other_events_s": round(spent["other"], 3),
                "file_mb": round(size_mb, 1),
                "open_ms": round(open_ms, 2),
                "sample_history_cold_ms": round(statistics.median(cold), 2),
                "sample_history_warm_ms": round(statistics.median(warm), 2),
                "epoch_all_samples_ms": round(statistics.median(epoch_reads), 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
