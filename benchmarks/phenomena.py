"""The phenomenon presets at full size: is the imbalance each is built to show there?

- `greedy`: test accuracy of the slow modality's unimodal head (a linear probe on detached features)
  inside joint training against the slow modality trained alone; fused accuracy against each modality
  alone; two strategies meant to help the slow modality (`ensemble`, `modality-resampling`).
- `per-sample`: how often the sign of φ_x1 − φ_x2 on a test sample points at the modality recorded
  as informative, under the `probability` and `benefit` payoffs (ties counted apart); mean φ per modality.
- `mcr-synthetic`: joint's test accuracy (and each unimodal head's) over the unique-to-shared sweep.

Prints a markdown report; one process, one torch thread, data generated into a temporary folder.

    nice -n 10 .venv/bin/python benchmarks/phenomena.py > benchmarks/results/phenomena.md
    nice -n 10 .venv/bin/python benchmarks/phenomena.py --quick      # a small check of the pipeline
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from core import events as ev
from core.config import DataConfig, RunConfig
from core.data.prepare import prepare_dataset
from core.data.tensors import PreparedData
from core.demo import generate_demo
from core.models.multimodal import build_model_for_data
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine
from core.valuation.valuate import ValuationSettings, value_samples


@dataclass(frozen=True)
class Sizes:
    greedy_samples: int
    per_sample_samples: int
    mcr_samples: int
    epochs: int
    seeds: int
    ratios: tuple[float, ...]


FULL = Sizes(2000, 2000, 14000, 20, 3, (0.0, 0.5, 1.0, 2.0, 4.0))
QUICK = Sizes(400, 400, 700, 3, 1, (0.0, 4.0))
GREEDY_RUNS = (
    ("joint", {}),
    ("unimodal", {"modality": "fast"}),
    ("unimodal", {"modality": "slow"}),
    ("ensemble", {}),
    ("modality-resampling", {}),
)


def prepared(root: Path, preset: str, samples: int, seed: int, **extra) -> PreparedData:
    folder = root / f"{preset}-{samples}-{seed}-{'-'.join(map(str, extra.values()))}"
    generate_demo(folder, preset, samples, seed, **extra)
    return prepare_dataset(DataConfig(path=str(folder)))


def train(root: Path, data: PreparedData, strategy: str, params: dict, epochs: int, seed: int) -> tuple[dict, Path]:
    """The last epoch's metrics of one run and its run folder (checkpoints kept)."""
    config = RunConfig()
    config.optim.epochs = epochs
    config.runtime.device = "cpu"
    config.runtime.seed = seed
    config.runtime.mi_every_steps = 0
    config.runtime.log_every_steps = 0
    config.valuation.splits = ["train"] if strategy == "modality-resampling" else []
    config.strategy.name = strategy
    config.strategy.params = dict(params)
    run_dir = Path(tempfile.mkdtemp(prefix=f"{strategy}-", dir=root))
    last: dict[str, float] = {}
    errors: list[str] = []

    def listen(event: object) -> None:
        if isinstance(event, ev.EpochMetrics):
            last.clear()
            last.update(event.metrics)
        elif isinstance(event, ev.RunFailed):
            errors.append(event.error)

    engine = Engine(config, run_dir, data=data)
    engine.bus.subscribe(listen)
    if engine.run().failed:
        raise RuntimeError(f"{strategy} failed: {errors[:1]}")
    return last, run_dir


def mean_sd(values: list[float]) -> str:
    a = np.asarray(values, dtype=float)
    return f"{a.mean():.3f} ± {a.std(ddof=1):.3f}" if len(a) > 1 else f"{a.mean():.3f}"


def greedy_section(root: Path, sizes: Sizes) -> list[str]:
    rows: dict[str, dict[str, list[float]]] = {}
    ratios: list[float] = []
    for seed in range(sizes.seeds):
        data = prepared(root, "greedy", sizes.greedy_samples, seed)
        by_run = {}
        for strategy, params in GREEDY_RUNS:
            name = strategy + (f" ({params['modality']})" if params else "")
            metrics, _ = train(root, data, strategy, params, sizes.epochs, seed)
            by_run[name] = metrics
            cells = rows.setdefault(name, {"acc": [], "fast": [], "slow": []})
            cells["acc"].append(metrics["test/acc"])
            cells["fast"].append(metrics["test/acc/fast"])
            cells["slow"].append(metrics["test/acc/slow"])
        ratios.append(by_run["joint"]["test/acc/slow"] / by_run["unimodal (slow)"]["test/acc"])
    lines = [
        "## `greedy`",
        "",
        f"{sizes.greedy_samples} samples (70/15/15), {sizes.epochs} epochs, {sizes.seeds} seeds (data and run seed s). "
        "*test acc*: fused prediction; *head acc m*: modality m's unimodal head (a linear probe on detached "
        "features for `joint` and `modality-resampling`; for `unimodal` the head of the untrained modality is "
        "meaningless). Mean ± sample std over seeds.",
        "",
        "| run | test acc | head acc fast | head acc slow |",
        "|---|---|---|---|",
    ]
    lines += [f"| {n} | {mean_sd(c['acc'])} | {mean_sd(c['fast'])} | {mean_sd(c['slow'])} |" for n, c in rows.items()]
    joint, fast, slow = rows["joint"]["acc"], rows["unimodal (fast)"]["acc"], rows["unimodal (slow)"]["acc"]
    lines += [
        "",
        f"- slow head inside joint / slow alone: {mean_sd(ratios)} per seed "
        f"({', '.join(f'{r:.2f}' for r in ratios)}); the preset's claim is <= 0.7.",
        f"- joint − fast alone: {mean_sd(list(np.subtract(joint, fast)))}; joint − slow alone: "
        f"{mean_sd(list(np.subtract(joint, slow)))} (the claim: joint above the fast modality alone).",
        "",
    ]
    return lines


def per_sample_section(root: Path, sizes: Sizes) -> list[str]:
    lines = [
        "## `per-sample`",
        "",
        f"{sizes.per_sample_samples} samples, joint, {sizes.epochs} epochs; the last checkpoint valued on the test "
        "split (exact Shapley, feature-level absence). *agree*: share of test samples whose sign of "
        "φ_x1 − φ_x2 points at the modality of the `informative` column; *ties*: share with φ_x1 = φ_x2 "
        "exactly (counted as not agreeing).",
        "",
        "| seed | test acc | payoff | agree | ties | mean φ_x1 | mean φ_x2 | mean \\|φ_x1 − φ_x2\\| |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for seed in range(sizes.seeds):
        data = prepared(root, "per-sample", sizes.per_sample_samples, seed)
        metrics, run_dir = train(root, data, "joint", {}, sizes.epochs, seed)
        model = build_model_for_data(data, RunConfig().model)
        model.load_state_dict(load_checkpoint(run_dir / "checkpoints" / "last.pt")["model"])
        test = data.samples.split_indices("test")
        for payoff in ("probability", "benefit"):
            result = value_samples(
                model, data, test, ValuationSettings(value_fn=payoff, seed=seed), torch.device("cpu"), 0, "test"
            )
            x1, x2 = (result.modalities.index(m) for m in ("x1", "x2"))
            gap = result.phi[:, x1] - result.phi[:, x2]
            informative = data.samples.metadata["informative"][result.sample_index]
            agree = np.where(informative == "x1", gap > 0, gap < 0).mean()
            lines.append(
                f"| {seed} | {metrics['test/acc']:.3f} | {payoff} | {agree:.3f} | {(gap == 0).mean():.3f} | "
                f"{result.phi[:, x1].mean():.3f} | {result.phi[:, x2].mean():.3f} | {np.abs(gap).mean():.3f} |"
            )
    return [*lines, ""]


def mcr_section(root: Path, sizes: Sizes) -> list[str]:
    lines = [
        "## `mcr-synthetic`",
        "",
        f"{sizes.mcr_samples} samples (train / val / test 10 : 2 : 2), joint, {sizes.epochs} epochs, seed 0. "
        "*ratio*: unique-to-shared (share of samples whose label is in one modality only: r / (1 + r)).",
        "",
        "| ratio | test acc | head acc x1 | head acc x2 | train s |",
        "|---|---|---|---|---|",
    ]
    for ratio in sizes.ratios:
        data = prepared(root, "mcr-synthetic", sizes.mcr_samples, 0, unique_ratio=ratio)
        metrics, _ = train(root, data, "joint", {}, sizes.epochs, 0)
        lines.append(
            f"| {ratio:g} | {metrics['test/acc']:.3f} | {metrics['test/acc/x1']:.3f} | "
            f"{metrics['test/acc/x2']:.3f} | {metrics['train_time_s']:.0f} |"
        )
    return [*lines, ""]


def optimiser_settings() -> str:
    """The default optimiser settings of this checkout, as one line."""
    optim, model = RunConfig().optim, RunConfig().model
    text = ", ".join(f"{k} {v}" for k, v in vars(optim).items() if k != "epochs")
    return f"{text}, feature width {model.feature_dim}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check that the script runs")
    sizes = QUICK if parser.parse_args().quick else FULL
    torch.set_num_threads(1)
    start = time.perf_counter()
    load = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="modalens-phenomena-") as tmp:
        root = Path(tmp)
        body = [*greedy_section(root, sizes), *per_sample_section(root, sizes), *mcr_section(root, sizes)]
    minutes = (time.perf_counter() - start) / 60
    header = [
        "# The phenomenon presets at full size",
        "",
        "Produced by `benchmarks/phenomena.py`"
        + (" --quick" if sizes is QUICK else "")
        + f" in {minutes:.1f} min: {platform.processor() or platform.machine()}, {os.cpu_count()} cores shared "
        f"(load average {load[0]:.1f} at the start), torch {torch.__version__} on CPU with one thread, "
        f"Python {sys.version.split()[0]}. Training settings: the defaults of `RunConfig` at the time of "
        f"the run ({optimiser_settings()}; MLP encoders).",
        "",
    ]
    print("\n".join(header + body))


if __name__ == "__main__":
    main()
