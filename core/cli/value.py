"""``modalens value``: per-sample Shapley values of a trained checkpoint on any split of a dataset."""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TYPE_CHECKING

from core.config import ABSENCE, SPLITS

if TYPE_CHECKING:
    import numpy as np

    from core.valuation.result import ValuationResult


def register(subparsers: argparse._SubParsersAction) -> None:
    from core.recipes import RECIPES
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
    from core.runs.restore import open_checkpoint
    from core.runs.value import value_split

    saved = open_checkpoint(args.checkpoint, data_path=args.data, recipe=args.recipe, trusted=args.trust_checkpoint)
    config = saved.config
    if args.media_root:
        from core.data.trust import approve_media_root

        approve_media_root(config.data.path or ".", args.media_root)
    check_dataset(config.data.path, config.data.modalities)
    valued = value_split(
        saved, args.split, value_fn=args.value_fn, absence=args.absence, device=args.device,
        into_report=args.into_report,
    )
    result, data = valued.result, valued.data
    means = ", ".join(f"{m} {v:+.4f}" for m, v in zip(result.modalities, result.mean_phi))
    print(
        f"{len(result.sample_index)} {args.split} samples, value function {result.value_fn}: mean phi {means}; "
        f"accuracy {result.correct.mean():.4f}",
        file=sys.stderr,
    )
    if valued.report is not None:
        print(f"added split {result.split!r} (epoch {result.epoch + 1}) to {valued.report}", file=sys.stderr)
    if args.out or not args.into_report:
        write_values_csv(result, data.samples.ids, data.samples.class_names, data.samples.labels, args.out)
    return 0


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
