"""``modalens value``: per-sample Shapley values of a trained checkpoint on any split of a dataset."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from core.config import ABSENCE, SPLITS, RunConfig

if TYPE_CHECKING:
    import numpy as np

    from core.data.prepared import PreparedData
    from core.valuation.result import ValuationResult


def register(subparsers: argparse._SubParsersAction) -> None:
    from core.data.recipes import RECIPES
    from core.valuation.value_functions import VALUE_FUNCTIONS  # torch: only when this command is chosen

    parser = subparsers.add_parser(
        "value",
        description="Value every sample of a dataset split with a trained checkpoint; one CSV row per sample "
        "(id, label = class name, prediction, correct, phi per modality).",
    )
    parser.add_argument(
        "--checkpoint",
        required=True,
        help="checkpoint file (RUN/checkpoints/best.pt or last.pt), or a run folder (its last.pt)",
    )
    parser.add_argument(
        "--trust-checkpoint",
        action="store_true",
        help="also read checkpoints of ModaLens 0.1: full pickles, which run any code they hold when read",
    )
    parser.add_argument("--data", required=True, help="dataset folder holding manifest.csv")
    parser.add_argument(
        "--media-root",
        metavar="DIR",
        help="approve reading the dataset's media from DIR, a folder outside the dataset folder (remembered "
        "for that dataset in your config folder; never / or a system folder)",
    )
    parser.add_argument("--split", default="train", choices=SPLITS, help="split to value")
    parser.add_argument(
        "--value-fn", choices=VALUE_FUNCTIONS.names(), help="value function (default: the run's)"
    )
    parser.add_argument(
        "--absence", choices=ABSENCE, help="how a modality is made absent (default: the run's)"
    )
    parser.add_argument(
        "--recipe", choices=RECIPES.names(), help="preprocessing recipe (default: the run's; see docs/recipes.md)"
    )
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    parser.add_argument("--out", help="CSV file for per-sample values (default: print to stdout)")
    parser.add_argument(
        "--into-report",
        action="store_true",
        help="also add the values to the run's report.h5 (next to the checkpoints), e.g. a split the run "
        "did not value; refused while the run is still going",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.cli.checks import check_dataset
    from core.data.prepare import prepare_dataset
    from core.data.recipes import apply_recipe
    from core.models.multimodal import build_model_for_data
    from core.strategies import create_strategy
    from core.training.checkpoint import load_checkpoint, load_model_state
    from core.training.device import resolve_device
    from core.valuation.valuate import ValuationSettings, value_samples

    state = load_checkpoint(args.checkpoint, trusted=args.trust_checkpoint)
    config = RunConfig.from_toml(state["config_toml"], f"{args.checkpoint} (config)")
    config.data.path = args.data
    if args.recipe:
        config.data = apply_recipe(config.data, args.recipe)
    if args.media_root:
        from core.data.trust import approve_media_root

        approve_media_root(config.data.path or ".", args.media_root)
    check_dataset(config.data.path, config.data.modalities)
    data = prepare_dataset(config.data)
    if args.into_report:
        check_report_data(run_folder(args.checkpoint), data, args.data)
    device = resolve_device(args.device)
    model = build_model_for_data(data, config.model).to(device)
    create_strategy(config.strategy.name, config.strategy.params, model)  # it may set the head's form
    load_model_state(model, state["model"], args.checkpoint)
    settings = ValuationSettings(
        value_fn=args.value_fn or config.valuation.value_fn,
        absence=args.absence or config.valuation.absence,
        exact_max_modalities=config.valuation.exact_max_modalities,
        mc_permutations=config.valuation.mc_permutations,
        batch_size=config.valuation.batch_size,
    )
    index = data.split_indices(args.split)
    if len(index) == 0:
        raise ValueError(f"{args.data}: split {args.split!r} has no usable samples")
    result = value_samples(
        model, data, index, settings, device, epoch=state["next_epoch"] - 1, split=args.split
    )
    means = ", ".join(f"{m} {v:+.4f}" for m, v in zip(result.modalities, result.mean_phi))
    print(
        f"{len(index)} {args.split} samples, value function {settings.value_fn}: mean phi {means}; "
        f"accuracy {result.correct.mean():.4f}",
        file=sys.stderr,
    )
    if args.into_report:
        add_to_report(args.checkpoint, result)
    if args.out or not args.into_report:
        write_values_csv(result, data.ids, data.class_names, data.labels, args.out)
    return 0


def run_folder(checkpoint: str) -> Path:
    """The run a checkpoint argument belongs to: the folder itself, or the checkpoint's run."""
    path = Path(checkpoint).resolve()
    return path if path.is_dir() else path.parent.parent


def check_report_data(run_dir: Path, data: PreparedData, data_path: str) -> None:
    """Values go into a run's report only for the dataset that report describes (one line otherwise)."""
    from core.report.reader import open_report
    from core.training.run_identity import check_same_data, dataset_identity, identity_of

    report = run_dir / "report.h5"
    if not report.is_file():
        raise ValueError(f"{run_dir}: no report.h5 to add the values to")
    with open_report(report) as opened:
        stored = opened.dataset
        identity = dataset_identity(stored.ids, stored.labels, stored.splits, stored.class_names, opened.modalities)
    check_same_data(identity, identity_of(data), str(report), data_path)


def add_to_report(checkpoint: str, result: ValuationResult) -> None:
    """Write ``result`` into the report of the run that ``checkpoint`` belongs to, holding the run's lock."""
    from core.report.writer import ReportWriter
    from core.training.run_lock import RunLock

    run_dir = run_folder(checkpoint)
    report = run_dir / "report.h5"
    if not report.is_file():
        raise ValueError(f"{run_dir}: no report.h5 to add the values to")
    with RunLock(run_dir):
        ReportWriter(report).add_valuation(result)
    print(f"added split {result.split!r} (epoch {result.epoch + 1}) to {report}", file=sys.stderr)


def write_values_csv(
    result: ValuationResult, ids: np.ndarray, class_names: list[str], labels: np.ndarray, out: str | None
) -> None:
    """One row per sample: id, label and prediction (class names), correct, φ per modality (atomic when
    written to a file)."""
    from core.atomic import atomic_write

    header = ["id", "label", "prediction", "correct", *[f"phi_{m}" for m in result.modalities]]
    rows = (
        [ids[i], class_names[labels[i]], class_names[p], int(c), *[f"{v:.6g}" for v in phi]]
        for i, p, c, phi in zip(result.sample_index, result.prediction, result.correct, result.phi)
    )
    if out is None:
        writer = csv.writer(sys.stdout)
        writer.writerow(header)
        writer.writerows(rows)
        return
    with atomic_write(out, "w", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
