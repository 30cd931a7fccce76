"""Valuation batch size: seconds to value every split at each batch size, beside a plain inference pass.

Prints JSON. Demo-sized audio + video inputs and demo encoders (see benchmarks/valuation_overhead.py), the
samples split 60 / 20 / 20 % into train / val / test and held in RAM. For each batch size B:
``valuation_s`` (value_samples over all three splits at B), ``inference_s`` (one no-grad forward pass over
the same samples at B) and ``ratio_vs_inference`` (``valuation_s`` ÷ the fastest inference pass of the
sweep; ``ratio_vs_inference_same_batch``: ÷ the inference pass at B). Times are CPU seconds of this process on the CPU (``--threads`` 1 by default, so a busy machine
barely moves them) and wall seconds on a GPU. ``auto`` is the size ``valuation.batch_size = 0`` resolves to on the device. All timings are
medians of runs interleaved across batch sizes, so that load changes hit every size alike; φ is checked
to be the same at every size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import numpy as np
import torch

from benchmarks.valuation_overhead import inference_pass, random_data
from core.config import ModelConfig
from core.models.multimodal import build_model_for_data
from core.valuation.valuate import ValuationSettings, resolve_batch_size, value_samples

SPLITS = ("train", "val", "test")


def split_data(samples: int):
    data = random_data(2, samples)
    n = len(data)
    val, test = n // 5, n // 5
    data.samples.splits[:] = np.array(["train"] * (n - val - test) + ["val"] * val + ["test"] * test)
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1024)
    parser.add_argument("--batch-sizes", default="8,16,32,64,128,256")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    device = torch.device(args.device)
    sizes = sorted({int(b) for b in args.batch_sizes.split(",")} | {resolve_batch_size(0, device)})
    data = split_data(args.samples)
    model = build_model_for_data(data, ModelConfig()).to(device)
    everything = np.arange(len(data))

    def value_all(batch_size: int) -> list[np.ndarray]:
        settings = ValuationSettings(batch_size=batch_size)
        return [value_samples(model, data, data.samples.split_indices(s), settings, device, split=s).phi for s in SPLITS]

    def timed(fn) -> float:
        """Wall seconds on a GPU; on the CPU this process's CPU seconds, which other load barely moves."""
        clock = time.perf_counter if device.type == "cuda" else time.process_time
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        start = clock()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return clock() - start

    reference = value_all(sizes[0])
    phi_diff = max(
        float(np.abs(np.concatenate(value_all(b)) - np.concatenate(reference)).max()) for b in sizes[1:]
    ) if len(sizes) > 1 else 0.0
    valuation = {b: [] for b in sizes}
    inference = {b: [] for b in sizes}
    for _ in range(args.repeats):
        for b in sizes:
            inference[b].append(timed(lambda b=b: inference_pass(model, data, everything, b, device)))
            valuation[b].append(timed(lambda b=b: value_all(b)))
    fastest_inference = min(statistics.median(v) for v in inference.values())
    rows = {
        str(b): {
            "valuation_s": round(statistics.median(valuation[b]), 4),
            "inference_s": round(statistics.median(inference[b]), 4),
            "ratio_vs_inference": round(statistics.median(valuation[b]) / fastest_inference, 3),
            "ratio_vs_inference_same_batch": round(statistics.median(valuation[b]) / statistics.median(inference[b]), 3),
        }
        for b in sizes
    }
    best = min(sizes, key=lambda b: statistics.median(valuation[b]))
    auto = resolve_batch_size(0, device)
    print(json.dumps({
        "device": str(device),
        "threads": args.threads,
        "samples": args.samples,
        "auto_batch_size": auto,
        "auto_ratio_vs_inference": rows[str(auto)]["ratio_vs_inference"],
        "fastest_valuation_batch_size": best,
        "phi_max_abs_difference_across_sizes": phi_diff,
        "by_batch_size": rows,
    }, indent=2))  # fmt: skip


if __name__ == "__main__":
    main()
