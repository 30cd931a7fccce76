"""Cost of valuing the validation and test splits after every epoch, beside the training split.

Prints JSON: seconds per epoch (training, evaluation, checkpoint and valuation together) with
``valuation.splits = ["train"]`` and with the default ``["train", "val", "test"]``, and their ratio,
on random audio-visual data of the demo's shapes (60 / 20 / 20 % split), demo encoders, CPU.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import numpy as np
import torch

from benchmarks.valuation_overhead import random_data
from core.config import RunConfig
from core.training.engine import Engine


def epoch_seconds(samples: int, epochs: int, splits: list[str], seed: int) -> float:
    data = random_data(2, samples, seed)
    n = len(data)
    data.samples.splits[:] = np.array(["train"] * (n * 3 // 5) + ["val"] * (n // 5) + ["test"] * (n - n * 3 // 5 - n // 5))
    config = RunConfig()
    config.optim.epochs = epochs
    config.runtime.device = "cpu"
    config.runtime.log_every_steps = 0
    config.valuation.splits = splits
    with tempfile.TemporaryDirectory() as run_dir:
        start = time.perf_counter()
        outcome = Engine(config, run_dir, data=data).run()
        elapsed = time.perf_counter() - start
    assert not outcome.failed, outcome.error
    return elapsed / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    train_only, all_splits = [], []
    for repeat in range(args.repeats):  # interleaved, so load changes hit both alike
        train_only.append(epoch_seconds(args.samples, args.epochs, ["train"], repeat))
        all_splits.append(epoch_seconds(args.samples, args.epochs, ["train", "val", "test"], repeat))
    a, b = statistics.median(train_only), statistics.median(all_splits)
    print(json.dumps({
        "samples": args.samples,
        "epoch_s_train_valued": round(a, 3),
        "epoch_s_train_val_test_valued": round(b, 3),
        "overhead_ratio": round(b / a, 3),
    }))


if __name__ == "__main__":
    main()
