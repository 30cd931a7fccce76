"""``modalens compare``: two runs side by side, sample by sample."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        description="Compare two runs on one split: accuracy of each and the paired difference with its 95 % "
        "bootstrap interval, the samples B fixed (wrong in A, right in B) and broke, head accuracy and mean φ "
        "per modality, accuracy and mean φ per class. Each run is read at its best validation epoch (the last "
        "without a val split).",
    )
    parser.add_argument("run_a", metavar="RUN_A", help="run folder or report.h5")
    parser.add_argument("run_b", metavar="RUN_B", help="run folder or report.h5")
    parser.add_argument("--split", default="test", choices=("train", "val", "test"), help="split compared")
    parser.add_argument("--epoch", default="best", choices=("best", "last"), help="epoch read from each run")
    parser.add_argument("--list", action="store_true", help="also list the fixed and the broken samples")
    parser.add_argument(
        "--csv", metavar="FILE", help="write every sample's predictions, category and φ in A and B"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.experiments.compare import compare_runs, comparison_text, write_pairs_csv

    comparison = compare_runs(args.run_a, args.run_b, args.split, args.epoch)
    print(comparison_text(comparison, (args.run_a, args.run_b), args.list))
    if args.csv:
        rows = write_pairs_csv(comparison, args.csv)
        print(f"\nwrote {rows} samples to {args.csv}")
    return 0
