"""Step-time overhead of the MCR regulariser over plain joint training, on the demo encoders (CPU).

One step = forward + loss terms + backward + optimiser step. Prints JSON with the ratio of the median
wall-clock step times (mcr ÷ joint) and both medians; the median of the ratios of back-to-back steps
("paired_ratio"); and the ratio of the medians of the process's CPU time. The last two are less sensitive
to other processes competing for the cores. Steps of the two strategies are interleaved (alternating
order) so drifts in machine load affect both alike.

    python benchmarks/mcr_overhead.py [--repeats 60] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch

from core.data.batches import Batch
from core.models.multimodal import MultimodalModel, build_model
from core.strategies import Strategy, create_strategy
from core.strategies.base import StepContext

BATCH = 32
NUM_CLASSES = 8
FEATURE_DIM = 64
SHAPES = {"audio": (128, 65), "video": (4, 3, 48, 48)}
ENCODERS = {"audio": "spec-cnn", "video": "frame-cnn"}


def make_model(seed: int = 0) -> MultimodalModel:
    torch.manual_seed(seed)
    return build_model({m: m for m in SHAPES}, SHAPES, NUM_CLASSES, FEATURE_DIM, ENCODERS)


def random_batch(seed: int = 1) -> Batch:
    generator = torch.Generator().manual_seed(seed)
    inputs = {
        "audio": torch.randn(BATCH, *SHAPES["audio"], generator=generator),
        "video": torch.randint(0, 256, (BATCH, *SHAPES["video"]), generator=generator, dtype=torch.uint8),
    }
    labels = torch.randint(0, NUM_CLASSES, (BATCH,), generator=generator)
    return Batch(inputs, labels, torch.ones(BATCH, len(SHAPES)), torch.arange(BATCH))


class Stepper:
    """One model, its strategy and optimiser; ``step()`` returns the wall time of one training step."""

    def __init__(self, strategy_name: str, params: dict, batch: Batch) -> None:
        self.model = make_model()
        self.strategy: Strategy = create_strategy(strategy_name, params, self.model)
        extras = torch.nn.ModuleDict(self.strategy.extra_modules())
        self.optimizer = torch.optim.Adam(list(self.model.parameters()) + list(extras.parameters()), lr=1e-4)
        self.batch = batch

    def step(self) -> tuple[float, float]:
        """(wall seconds, CPU seconds of this process) of one step."""
        start, start_cpu = time.perf_counter(), time.process_time()
        output = self.model(self.batch.inputs, keep=self.batch.keep)
        ctx = StepContext(self.model, self.batch, output, epoch=0, step=0)
        terms = self.strategy.loss_terms(ctx)
        self.optimizer.zero_grad(set_to_none=True)
        self.strategy.backward(ctx, terms)
        self.optimizer.step()
        self.strategy.after_step(self.model, 0)
        return time.perf_counter() - start, time.process_time() - start_cpu


def measure(repeats: int, warmup: int, permutations: int) -> dict[str, float]:
    batch = random_batch()
    joint = Stepper("joint", {}, batch)
    mcr = Stepper("mcr", {"permutations": permutations}, batch)
    for _ in range(warmup):
        joint.step()
        mcr.step()
    joint_times, mcr_times = [], []
    for i in range(repeats):
        if i % 2:
            joint_times.append(joint.step())
            mcr_times.append(mcr.step())
        else:
            mcr_times.append(mcr.step())
            joint_times.append(joint.step())
    joint_wall, joint_cpu = (statistics.median(t) for t in zip(*joint_times, strict=True))
    mcr_wall, mcr_cpu = (statistics.median(t) for t in zip(*mcr_times, strict=True))
    return {
        "ratio": round(mcr_wall / joint_wall, 4),
        "mcr_median_s": round(mcr_wall, 5),
        "joint_median_s": round(joint_wall, 5),
        "paired_ratio": round(
            statistics.median(m[0] / j[0] for m, j in zip(mcr_times, joint_times, strict=True)), 4
        ),
        "cpu_ratio": round(mcr_cpu / joint_cpu, 4),
        "mcr_median_cpu_s": round(mcr_cpu, 5),
        "joint_median_cpu_s": round(joint_cpu, 5),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=60, help="timed steps per strategy")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps per strategy first")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads")
    parser.add_argument("--permutations", type=int, default=32, help="MCR's K")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = measure(args.repeats, args.warmup, args.permutations)
    result.update(repeats=args.repeats, threads=args.threads, permutations=args.permutations, batch=BATCH)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
