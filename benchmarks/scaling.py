"""Training throughput with 1 and 2 processes on CPU (torchrun, Gloo), from the runs' own reports.

Prints JSON: samples/s of the training loop (all ranks together) for 1 and 2 processes, and the ratio.
Each process is limited to ``--threads`` intra-op threads, so 2 processes use twice the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from core.demo import generate_demo
from core.report.reader import open_report


def train(data: Path, out: Path, processes: int, epochs: int, threads: int) -> float:
    """Median training samples/s over the epochs after the first (which warms caches up)."""
    args = [
        "-m",
        "core.cli",
        "train",
        "--data",
        str(data),
        "--epochs",
        str(epochs),
        "--device",
        "cpu",
        "--out",
        str(out),
        "--set",
        "runtime.mi_every_steps=0",
    ]
    if processes > 1:
        args = ["-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={processes}", *args]
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    subprocess.run([sys.executable, *args], check=True, env=env, capture_output=True)
    with open_report(out / "report.h5") as report:
        samples_per_s = report.epoch_metrics["train/samples_per_s"][1:]
    return float(np.median(samples_per_s)) if len(samples_per_s) else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--preset", default="balanced", choices=["balanced", "vectors"])
    parser.add_argument("--samples", type=int, default=600)
    parser.add_argument("--epochs", type=int, default=3, help="epochs per run (at least 2; the first is not timed)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is not timed")
    work = Path(tempfile.mkdtemp(prefix="modalens-scaling-"))
    data = generate_demo(work / "data", args.preset, args.samples)
    train(data, work / "warm", 1, 1, args.threads)  # fills the preprocessing cache; its figure is not used
    one = train(data, work / "one", 1, args.epochs, args.threads)
    two = train(data, work / "two", 2, args.epochs, args.threads)
    print(
        json.dumps(
            {
                "device": "cpu",
                "preset": args.preset,
                "samples": args.samples,
                "threads_per_process": args.threads,
                "samples_per_s_1proc": round(one, 1),
                "samples_per_s_2proc": round(two, 1),
                "ratio": round(two / one, 3),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
