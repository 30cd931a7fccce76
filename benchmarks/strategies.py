"""Every registered training strategy on the demo data: test accuracy and macro-F1, unimodal-head
accuracy, end-of-training φ per modality, φ gap, and cost (parameters, FLOPs per sample, train time).

Trains each strategy of ``STRATEGIES`` (or those given with ``--strategies``) on the `audio-dominant`
and `balanced` audio-visual demos and on the `vectors` demo at several unique-to-shared ratios, with
several seeds (one generated dataset per dataset and seed), two runs at a time in a spawn pool of
one-thread workers. Writes a markdown report (and the raw per-run results as JSON next to it).

    nice -n 10 .venv/bin/python benchmarks/strategies.py            # full run → benchmarks/results/
    nice -n 10 .venv/bin/python benchmarks/strategies.py --quick    # smoke run → the temp folder
    nice -n 10 .venv/bin/python benchmarks/strategies.py --quick --seeds 1 --epochs 2 \
        --strategies joint,mcr,ogm-ge                                  # a tiny check of the pipeline
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from core import events as ev
from core.config import DataConfig, OptimConfig, RunConfig
from core.data.prepare import prepare_dataset
from core.data.prepared import PreparedData
from core.demo import generate_demo
from core.models.multimodal import build_model_for_data
from core.strategies import STRATEGIES, describe_params
from core.training.checkpoint import load_checkpoint
from core.training.engine import Engine
from core.valuation.result import ValuationResult
from core.valuation.valuate import ValuationSettings, value_samples

RESULTS_DIR = Path(__file__).resolve().parent / "results"
WORKERS = 2
VALUE_FN = "benefit"
RESAMPLING_STRATEGIES = ("sample-resampling", "modality-resampling")
GAP_CHECK_STRATEGIES = (*RESAMPLING_STRATEGIES, "mcr")


@dataclass(frozen=True)
class Settings:
    """Data sizes, schedule and repetitions of one benchmark run."""

    media_samples: int
    media_epochs: int
    vector_samples: int
    vector_epochs: int
    seeds: int
    ratios: tuple[float, ...]
    strategies: tuple[str, ...] = ()
    """The strategies run, in registry order; empty means every registered one."""

    def strategy_names(self) -> list[str]:
        return [name for name in STRATEGIES.names() if not self.strategies or name in self.strategies]


FULL = Settings(
    media_samples=500,
    media_epochs=8,
    vector_samples=1000,
    vector_epochs=16,
    seeds=3,
    ratios=(0.25, 1.0, 4.0),
)
QUICK = Settings(
    media_samples=40, media_epochs=3, vector_samples=80, vector_epochs=3, seeds=2, ratios=(0.25, 1.0, 4.0)
)


@dataclass(frozen=True)
class DatasetSpec:
    """One demo dataset: a preset, and for `vectors` its unique-to-shared ratio."""

    preset: str
    unique_ratio: float | None = None

    @property
    def key(self) -> str:
        return self.preset if self.unique_ratio is None else f"{self.preset}-r{self.unique_ratio:g}"

    @property
    def title(self) -> str:
        if self.unique_ratio is None:
            return f"`{self.preset}`"
        return f"`{self.preset}`, unique : shared = {self.unique_ratio:g}"

    def samples(self, settings: Settings) -> int:
        return settings.media_samples if self.unique_ratio is None else settings.vector_samples

    def epochs(self, settings: Settings) -> int:
        return settings.media_epochs if self.unique_ratio is None else settings.vector_epochs


@dataclass(frozen=True)
class Job:
    """One training run."""

    dataset: str
    folder: str
    seed: int
    strategy: str
    epochs: int
    params: dict = field(default_factory=dict)


def datasets_for(settings: Settings) -> list[DatasetSpec]:
    media = [DatasetSpec("audio-dominant"), DatasetSpec("balanced")]
    return media + [DatasetSpec("vectors", ratio) for ratio in settings.ratios]


def strategy_params(strategy: str, epochs: int) -> dict:
    """Parameters that differ from the strategy's defaults: phases scaled to a third of the run."""
    third = max(1, round(epochs / 3))
    if strategy in RESAMPLING_STRATEGIES:
        return {"warmup_epochs": third}
    if strategy == "uni-pretrain":
        return {"pretrain_epochs": third}
    return {}


def run_config(job: Job) -> RunConfig:
    config = RunConfig()
    config.data.path = job.folder
    config.optim.epochs = job.epochs
    config.valuation.value_fn = VALUE_FN
    config.valuation.splits = ["train"]
    config.runtime.device = "cpu"
    config.runtime.seed = job.seed
    config.runtime.mi_every_steps = 0
    config.runtime.log_every_steps = 0
    config.strategy.name = job.strategy
    config.strategy.params = dict(job.params)
    return config


# -- worker side ---------------------------------------------------------------------------------------

_PREPARED: dict[str, PreparedData] = {}


def _prepared(folder: str) -> PreparedData:
    """The prepared dataset of ``folder``, read from its decode cache once per worker process."""
    if folder not in _PREPARED:
        if len(_PREPARED) >= 2:
            _PREPARED.pop(next(iter(_PREPARED)))
        _PREPARED[folder] = prepare_dataset(DataConfig(path=folder))
    return _PREPARED[folder]


def run_job(job: Job) -> dict:
    """Train one run; return its last epoch's test accuracy and macro-F1 (fused and per unimodal head), its
    cost, and the mean φ of the last epoch over the whole train split."""
    torch.set_num_threads(1)
    data = _prepared(job.folder)
    config = run_config(job)
    last_metrics: dict[str, float] = {}
    last_valuation: list[ValuationResult] = []
    failures: list[str] = []

    def listen(event: object) -> None:
        if isinstance(event, ev.EpochMetrics):
            last_metrics.clear()
            last_metrics.update(event.metrics)
        elif isinstance(event, ev.ValuationReady) and event.result.split == "train":
            last_valuation[:] = [event.result]
        elif isinstance(event, ev.RunFailed):
            failures.append(event.error)

    record = {"dataset": job.dataset, "seed": job.seed, "strategy": job.strategy, "params": job.params}
    with tempfile.TemporaryDirectory(prefix="modalens-strategies-run-") as run_dir:
        engine = Engine(config, run_dir, data=data)
        engine.bus.subscribe(listen)
        start = time.perf_counter()
        outcome = engine.run()
        record["seconds"] = time.perf_counter() - start
        if outcome.failed or not last_valuation:
            return {**record, "error": failures[0] if failures else "no train valuation was reported"}
        valuation = _full_train_valuation(last_valuation[0], config, data, Path(run_dir))
    return {
        **record,
        "error": None,
        "test_acc": last_metrics["test/acc"],
        "test_f1": last_metrics["test/f1"],
        "head_acc": [last_metrics[f"test/acc/{m}"] for m in valuation.modalities],
        "val_acc": last_metrics["val/acc"],
        "model_params": last_metrics["model/params"],
        "flops_per_sample": last_metrics["model/flops_per_sample"],
        "train_time_s": last_metrics["train_time_s"],
        "modalities": list(valuation.modalities),
        "mean_phi": [float(x) for x in valuation.mean_phi],
    }


def _full_train_valuation(
    last: ValuationResult, config: RunConfig, data: PreparedData, run_dir: Path
) -> ValuationResult:
    """The last epoch's train valuation; re-done on the whole split from the last checkpoint when the
    strategy values only a subset (modality-level re-sampling)."""
    train = data.split_indices("train")
    if len(last.sample_index) == len(train):
        return last
    model = build_model_for_data(data, config.model)
    model.load_state_dict(load_checkpoint(run_dir / "checkpoints" / "last.pt")["model"])
    settings = ValuationSettings(value_fn=config.valuation.value_fn, seed=config.runtime.seed)
    return value_samples(model, data, train, settings, torch.device("cpu"), last.epoch, "train")


# -- main side -----------------------------------------------------------------------------------------


def make_data(spec: DatasetSpec, settings: Settings, seed: int, root: Path) -> str:
    """Generate one dataset and fill its decode cache; return its folder."""
    folder = root / f"{spec.key}-seed{seed}"
    extra = {} if spec.unique_ratio is None else {"unique_ratio": spec.unique_ratio}
    generate_demo(folder, spec.preset, spec.samples(settings), seed, **extra)
    prepare_dataset(DataConfig(path=str(folder)))
    return str(folder)


def build_jobs(settings: Settings, root: Path) -> tuple[list[Job], float]:
    """Every (dataset, seed, strategy) run, grouped by dataset; also the seconds spent making the data."""
    start = time.perf_counter()
    jobs = []
    for spec in datasets_for(settings):
        epochs = spec.epochs(settings)
        for seed in range(settings.seeds):
            folder = make_data(spec, settings, seed, root)
            for strategy in settings.strategy_names():
                jobs.append(Job(spec.key, folder, seed, strategy, epochs, strategy_params(strategy, epochs)))
    return jobs, time.perf_counter() - start


def run_all(jobs: list[Job]) -> list[dict]:
    context = multiprocessing.get_context("spawn")
    results = []
    with context.Pool(WORKERS) as pool:
        for done, result in enumerate(pool.imap_unordered(run_job, jobs), start=1):
            results.append(result)
            status = "FAILED " + result["error"] if result["error"] else f"test {result['test_acc']:.3f}"
            print(
                f"[{done}/{len(jobs)}] {result['dataset']} seed {result['seed']} {result['strategy']}: "
                f"{status} ({result['seconds']:.1f} s)",
                flush=True,
            )
    return results


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


# -- summary -------------------------------------------------------------------------------------------


@dataclass
class Cell:
    """One (dataset, strategy) entry over seeds."""

    acc: np.ndarray
    f1: np.ndarray
    head_acc: np.ndarray
    """[seeds, modalities]"""
    phi: np.ndarray
    gap: np.ndarray
    params: np.ndarray
    flops: np.ndarray
    train_time: np.ndarray
    seconds: np.ndarray
    failed: int


def mean_std(values: np.ndarray, digits: int = 3) -> str:
    if len(values) == 0:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{values.mean():.{digits}f} ± {values.std(ddof=1):.{digits}f}"


def _column(runs: list[dict], key: str) -> np.ndarray:
    """One result field over runs (NaN where a run saved before the field existed lacks it)."""
    return np.array([r.get(key, np.nan) for r in runs], dtype=np.float64)


def summarise(
    results: list[dict], dataset: str, strategies: list[str]
) -> tuple[list[str], int, dict[str, Cell]]:
    """Modalities, the index of the strong modality (higher mean φ under `joint`) and one cell per strategy."""
    rows = [r for r in results if r["dataset"] == dataset]
    ok = [r for r in rows if r["error"] is None]
    modalities = ok[0]["modalities"] if ok else []
    reference = [r for r in ok if r["strategy"] == "joint"] or ok
    strong = int(np.argmax(np.mean([r["mean_phi"] for r in reference], axis=0))) if ok else 0
    weak = 1 - strong
    cells = {}
    for strategy in strategies:
        mine = sorted((r for r in ok if r["strategy"] == strategy), key=lambda r: r["seed"])
        phi = np.array([r["mean_phi"] for r in mine]).reshape(len(mine), len(modalities))
        head_acc = [r.get("head_acc", [np.nan] * len(modalities)) for r in mine]
        cells[strategy] = Cell(
            acc=np.array([r["test_acc"] for r in mine]),
            f1=_column(mine, "test_f1"),
            head_acc=np.array(head_acc, dtype=np.float64).reshape(len(mine), len(modalities)),
            phi=phi,
            gap=phi[:, strong] - phi[:, weak] if len(mine) else np.zeros(0),
            params=_column(mine, "model_params"),
            flops=_column(mine, "flops_per_sample"),
            train_time=_column(mine, "train_time_s"),
            seconds=np.array([r["seconds"] for r in mine]),
            failed=sum(1 for r in rows if r["strategy"] == strategy and r["error"] is not None),
        )
    return modalities, strong, cells


def dataset_table(
    modalities: list[str], strong: int, cells: dict[str, Cell], params: dict[str, dict]
) -> list[str]:
    """One row per strategy: quality, imbalance and cost, mean ± std over seeds."""
    heads = " | ".join(f"head acc {m}" for m in modalities)
    names = " | ".join(f"φ̄ {m}" for m in modalities)
    lines = [
        f"| strategy | non-default params | test acc | Δ acc vs joint | test F1 | {heads} | {names} | "
        f"gap {modalities[strong]} − {modalities[1 - strong]} | \\|gap\\| per run | params | "
        "FLOPs / sample | train s | s / run |",
        "|---|---|---|---|---|" + "---|" * (2 * len(modalities)) + "---|---|---|---|---|---|",
    ]
    joint = cells.get("joint")
    for strategy, cell in cells.items():
        shown = ", ".join(f"{k}={v}" for k, v in params.get(strategy, {}).items()) or "–"
        failed = f" ({cell.failed} failed)" if cell.failed else ""
        if not len(cell.acc):
            empty = " | ".join(["–"] * (2 * len(modalities) + 10))
            lines.append(f"| {strategy}{failed} | {shown} | {empty} |")
            continue
        head_acc = " | ".join(mean_std(cell.head_acc[:, j]) for j in range(len(modalities)))
        phis = " | ".join(f"{cell.phi[:, j].mean():.3f}" for j in range(len(modalities)))
        against_joint = joint is not None and strategy != "joint" and len(joint.acc)
        versus = yardstick(cell.acc, joint.acc) if against_joint else "–"
        cells_text = [
            mean_std(cell.acc),
            versus,
            mean_std(cell.f1),
            head_acc,
            phis,
            mean_std(cell.gap),
            mean_std(np.abs(cell.gap)),
            f"{np.nanmean(cell.params):,.0f}",
            f"{np.nanmean(cell.flops):,.0f}",
            mean_std(cell.train_time, digits=2),
            f"{cell.seconds.mean():.1f}",
        ]
        lines.append(f"| {strategy}{failed} | {shown} | " + " | ".join(cells_text) + " |")
    return lines


def noise(a: np.ndarray, b: np.ndarray) -> tuple[float, float | None]:
    """Mean of ``a`` minus mean of ``b``, and twice the standard error of that difference over seeds
    (None with fewer than two seeds on either side): the rough noise yardstick of the report."""
    difference = float(a.mean() - b.mean())
    if len(a) < 2 or len(b) < 2:
        return difference, None
    return difference, 2 * float(np.sqrt(a.var(ddof=1) / len(a) + b.var(ddof=1) / len(b)))


def yardstick(a: np.ndarray, b: np.ndarray) -> str:
    """The difference of means and twice its standard error, in bold when beyond it (a table cell)."""
    difference, twice = noise(a, b)
    if twice is None:
        return f"{difference:+.3f}"
    shown = f"{difference:+.3f}"
    return f"{f'**{shown}**' if abs(difference) > twice else shown} (2 s.e. {twice:.3f})"


def compare(a: np.ndarray, b: np.ndarray) -> str:
    """The difference of means, and whether it exceeds twice its standard error over seeds."""
    difference, twice = noise(a, b)
    if twice is None:
        return f"{difference:+.3f}"
    return f"{difference:+.3f}, {'beyond' if abs(difference) > twice else 'within'} 2 s.e. ({twice:.3f})"


def findings(results: list[dict], settings: Settings) -> list[str]:
    """Check the effects the papers report against these numbers; say which held."""
    strategies = settings.strategy_names()
    summaries = {
        spec.key: (spec, *summarise(results, spec.key, strategies)) for spec in datasets_for(settings)
    }
    lines = [
        "Differences are between seed means; 'beyond / within 2 s.e.' compares them with twice the standard "
        f"error of the difference over the {settings.seeds} seeds (a rough noise yardstick, not a test).",
        "",
        "**φ imbalance vs `joint`** — expected: re-sampling and MCR shrink the gap between the strong and the "
        "weak modality. Compared: the per-run |gap| (the signed gap in brackets).",
    ]
    for spec, modalities, _, cells in summaries.values():
        joint = cells["joint"].gap if "joint" in cells else np.zeros(0)
        if not modalities or not len(joint):
            continue
        parts = []
        for strategy in (name for name in GAP_CHECK_STRATEGIES if name in cells):
            gap = cells[strategy].gap
            if len(gap):
                verdict = "smaller" if np.abs(gap).mean() < np.abs(joint).mean() else "NOT smaller"
                parts.append(
                    f"{strategy} {np.abs(gap).mean():.3f} [{gap.mean():+.3f}] {verdict} "
                    f"({compare(np.abs(gap), np.abs(joint))})"
                )
        lines.append(
            f"- {spec.title}: joint {np.abs(joint).mean():.3f} [{joint.mean():+.3f}]; "
            + "; ".join(parts)
            + "."
        )

    lines += ["", "**MCR vs `ensemble` (test accuracy)** — expected: MCR at least as accurate."]
    for spec, _, _, cells in summaries.values():
        if "mcr" not in cells or "ensemble" not in cells:
            continue
        mcr, ensemble = cells["mcr"].acc, cells["ensemble"].acc
        if len(mcr) and len(ensemble):
            verdict = "held" if mcr.mean() >= ensemble.mean() else "did NOT hold"
            lines.append(
                f"- {spec.title}: mcr {mcr.mean():.3f} vs ensemble {ensemble.mean():.3f} — {verdict} "
                f"({compare(mcr, ensemble)})."
            )

    vector_keys = [DatasetSpec("vectors", r).key for r in settings.ratios]
    lines += [
        "",
        "**Vectors, test accuracy as the unique share grows** (ratios "
        + " → ".join(f"{r:g}" for r in settings.ratios)
        + ") — expected: every method degrades, `joint` fastest (and, in the MCR paper, MCR slowest).",
    ]
    drops = {}
    for strategy in strategies:
        accs = [summaries[k][3][strategy].acc for k in vector_keys]
        if not all(len(a) for a in accs):
            continue
        means = [a.mean() for a in accs]
        drops[strategy] = means[0] - means[-1]
        monotone = all(b < a for a, b in zip(means, means[1:], strict=False))
        trend = "decreasing" if monotone else "NOT monotonically decreasing"
        lines.append(
            f"- {strategy}: "
            + " → ".join(f"{m:.3f}" for m in means)
            + f" ({trend}; drop first → last {compare(accs[0], accs[-1])})"
        )
    if "joint" in drops:
        ranked = sorted(drops, key=drops.get, reverse=True)
        order = ", ".join(f"{name} {drops[name]:+.3f}" for name in ranked)
        lines.append(f"- Drops, largest first: {order}.")
        place = ranked.index("joint") + 1
        lines.append(
            f"- `joint` ranks {place} of {len(ranked)} — 'joint degrades fastest' "
            f"{'held' if place == 1 else 'did NOT hold'}"
            + (f"; `mcr` ranks {ranked.index('mcr') + 1}." if "mcr" in drops else ".")
        )
    return lines


def write_report(path: Path, results: list[dict], settings: Settings, info: dict) -> None:
    optim = OptimConfig()
    lines = [
        "# Training strategies on the demo data",
        "",
        f"Produced by `benchmarks/strategies.py{info.get('arguments', ' --quick' if info['quick'] else '')}` "
        f"({info['runs']} runs, {info['failed']} failed).",
        "",
        "## Machine",
        f"- CPU: {info['machine']['cpu']}, {info['machine']['cores']} cores (shared with other work; "
        f"load average {info['machine']['load_average_start']} at the start, {info['load_average_end']} "
        "at the end)",
        f"- torch {info['machine']['torch']}, Python {info['machine']['python']}; "
        f"{WORKERS} runs in parallel (spawn pool), 1 torch thread per run, `nice -n 10`",
        f"- Wall time: {info['wall_s'] / 60:.1f} min in all ({info['data_s']:.0f} s generating and "
        f"decoding the data, {info['train_s'] / 60:.1f} min training)",
        "",
        "## Settings",
        f"- Audio-visual demos (`audio-dominant`, `balanced`): {settings.media_samples} samples, "
        f"{settings.media_epochs} epochs.",
        f"- `vectors`: {settings.vector_samples} samples, {settings.vector_epochs} epochs, unique : shared "
        f"ratios {', '.join(f'{r:g}' for r in settings.ratios)}.",
        f"- Splits 70/15/15 (train/val/test) from the demo generator; {settings.seeds} seeds (seed s: the "
        "data generated with seed s and the run seeded with s).",
        f"- Optimiser {optim.optimizer}, lr {optim.lr:g}, weight decay {optim.weight_decay:g}, batch "
        f"{optim.batch_size}, no LR schedule; default model (small CNNs for audio-visual, MLPs for vectors, "
        "feature width 64).",
        f"- Valuation: `{VALUE_FN}` payoff, feature-level absence, exact Shapley, train split after every "
        "epoch. MI curves off (`runtime.mi_every_steps = 0`).",
        "- Strategy parameters are the registry defaults except those in the tables' *non-default params* "
        "column: re-sampling warm-up and uni-pretrain pre-training are a third of the epochs (rounded). "
        "`mcr` keeps its defaults (K = 32, λ_M = 0.1, λ_uni = 0.01, greedy, λ_Con = 1, λ_CEB = 0); "
        "`unimodal` trains the first modality of the manifest (`video` / `x1`).",
        "",
        "Columns: *test acc* is the test accuracy after the last epoch (mean ± sample std over seeds). "
        "*Δ acc vs joint* is its seed mean minus `joint`'s, with twice the standard error of that "
        "difference (the noise yardstick below; in bold when the difference is beyond it). *test F1* is "
        "the macro-F1 of the fused prediction on the test split, and *head acc m* the test accuracy of "
        "modality m's unimodal head (a probe on detached features where the strategy does not train the "
        "heads). "
        "*φ̄ m* is modality m's mean Shapley value over the whole training split, valued after the last "
        "epoch (benefit payoff: a sample's values sum to 2 when the fused prediction is right), averaged "
        "over seeds; for `modality-resampling`, which values only a random part of the split during "
        "training, the whole split is valued from the last checkpoint. *gap* is φ̄ strong − φ̄ weak per "
        "run (mean ± std over seeds), where *strong* is the modality with the higher φ̄ under `joint` on "
        "that dataset, for every strategy alike (a negative gap: the strategy reversed the dominance). "
        "*|gap| per run* is the size of the imbalance whatever its direction (for the symmetric datasets "
        "the direction is chance). *params* counts the model's and the strategy's extra modules' "
        "parameters; *FLOPs / sample* is the model's forward pass on one training batch, counted by "
        "`torch.utils.flop_counter.FlopCounterMode`, divided by the batch size (the extra forward passes "
        "a strategy makes while training show in its time, not here); *train s* is the run's "
        "`train_time_s` (training and evaluation epochs, valuation excluded); *s / run* is the mean wall "
        "time of one run, valuation and setup included.",
        "",
    ]
    for spec in datasets_for(settings):
        modalities, strong, cells = summarise(results, spec.key, settings.strategy_names())
        if not modalities:
            lines += [f"## {spec.title}", "", "Every run failed.", ""]
            continue
        params = {name: strategy_params(name, spec.epochs(settings)) for name in settings.strategy_names()}
        lines += [f"## {spec.title}", "", *dataset_table(modalities, strong, cells, params), ""]
    lines += ["## Findings", "", *findings(results, settings), ""]
    if info["notes"]:
        lines += [*info["notes"], ""]
    errors = [r for r in results if r["error"]]
    if errors:
        lines += ["## Failed runs", ""]
        lines += [f"- {r['dataset']} seed {r['seed']} {r['strategy']}: {r['error']}" for r in errors]
        lines.append("")
    lines += ["## Strategy defaults", "", "| strategy | parameter | default |", "|---|---|---|"]
    for name in settings.strategy_names():
        described = describe_params(STRATEGIES.get(name))
        lines += [f"| {name} | {key} | {value!r} |" for key, value, _ in described] or [
            f"| {name} | none | |"
        ]
    write_atomic(path, "\n".join(lines) + "\n")


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def rewrite_report(out: Path, notes: list[str]) -> None:
    """Render the report again from the raw results a previous run saved next to it."""
    source = out.with_suffix(".json")
    if not source.is_file():
        raise SystemExit(f"{source}: no saved results to report (run the benchmark first)")
    saved = json.loads(source.read_text(encoding="utf-8"))
    stored = saved["settings"]
    settings = Settings(
        **{**stored, "ratios": tuple(stored["ratios"]), "strategies": tuple(stored.get("strategies", ()))}
    )
    write_report(out, saved["results"], settings, {**saved["info"], "notes": notes})


def chosen_settings(base: Settings, args: argparse.Namespace) -> Settings:
    """``base`` with the command line's overrides; ValueError naming a bad value."""
    changes: dict = {}
    if args.strategies:
        names = tuple(name.strip() for name in args.strategies.split(",") if name.strip())
        unknown = [name for name in names if name not in STRATEGIES.names()]
        if unknown or not names:
            raise ValueError(
                f"--strategies: unknown {', '.join(unknown) or '(none given)'}; "
                f"known: {', '.join(STRATEGIES.names())}"
            )
        changes["strategies"] = names
    for option, fields in (("seeds", ("seeds",)), ("epochs", ("media_epochs", "vector_epochs")),
                           ("samples", ("media_samples", "vector_samples"))):
        value = getattr(args, option)
        if value is not None:
            if value < 1:
                raise ValueError(f"--{option} must be a positive integer, got {value}")
            changes.update(dict.fromkeys(fields, value))
    return replace(base, **changes)


def arguments(args: argparse.Namespace) -> str:
    """The settings options of this run as they were given, for the report's first line."""
    shown = " --quick" if args.quick else ""
    for option in ("strategies", "seeds", "epochs", "samples"):
        value = getattr(args, option)
        if value is not None:
            shown += f" --{option} {value}"
    return shown


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="tiny settings, a smoke run of a few minutes")
    parser.add_argument(
        "--out",
        type=Path,
        help="markdown report (default: results/strategies.md; "
        "with --quick: strategies-quick.md in the temp folder)",
    )
    parser.add_argument("--notes", type=Path, help="a markdown file whose text is appended to the findings")
    parser.add_argument(
        "--report-only", action="store_true", help="no training: rewrite the report from its saved .json"
    )
    parser.add_argument("--strategies", help="comma-separated strategy names (default: every registered one)")
    parser.add_argument("--seeds", type=int, help="seeds per dataset (overrides the settings)")
    parser.add_argument("--epochs", type=int, help="epochs of every run (overrides the settings)")
    parser.add_argument("--samples", type=int, help="samples of every dataset (overrides the settings)")
    args = parser.parse_args()
    try:
        settings = chosen_settings(QUICK if args.quick else FULL, args)
    except ValueError as exc:
        parser.error(str(exc))
    out = args.out or (
        Path(tempfile.gettempdir()) / "strategies-quick.md" if args.quick else RESULTS_DIR / "strategies.md"
    )
    notes = args.notes.read_text(encoding="utf-8").splitlines() if args.notes else []
    if args.report_only:
        rewrite_report(out, notes)
        return

    torch.set_num_threads(1)
    info = {"quick": args.quick, "machine": machine(), "notes": notes, "arguments": arguments(args)}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="modalens-strategies-") as root:
        jobs, info["data_s"] = build_jobs(settings, Path(root))
        print(f"{len(jobs)} runs; data ready in {info['data_s']:.0f} s", flush=True)
        train_start = time.perf_counter()
        results = run_all(jobs)
        info["train_s"] = time.perf_counter() - train_start
    info["wall_s"] = time.perf_counter() - start
    info["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    info["runs"] = len(results)
    info["failed"] = sum(1 for r in results if r["error"])

    write_atomic(
        out.with_suffix(".json"),
        json.dumps({"settings": asdict(settings), "info": info, "results": results}, indent=1),
    )
    write_report(out, results, settings, info)
    print(f"wrote {out} in {info['wall_s'] / 60:.1f} min", file=sys.stderr)


if __name__ == "__main__":
    main()
