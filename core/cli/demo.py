"""``modalens demo``: write a built-in demo dataset (media clips or synthetic vectors)."""

from __future__ import annotations

import argparse
import sys
import time


def register(subparsers: argparse._SubParsersAction) -> None:
    from core.demo import DEFAULT_SAMPLES, DEMO_PRESETS

    parser = subparsers.add_parser(
        "demo", description="Write a demo dataset: mp4 clips + wav audio + manifest.csv, or feature vectors."
    )
    parser.add_argument(
        "--scenario", default="balanced", choices=list(DEMO_PRESETS), help="which demo dataset (see docs/datasets.md)"
    )
    # the flag's former name, kept working; hidden, since `modalens train --preset` names a model preset
    parser.add_argument("--preset", dest="scenario", choices=list(DEMO_PRESETS), default=argparse.SUPPRESS,
                        help=argparse.SUPPRESS)
    parser.add_argument(
        "--samples",
        type=int,
        help=f"number of samples (default: {DEFAULT_SAMPLES}); greedy and per-sample default to 2000, "
        "mcr-synthetic to 14000",
    )
    parser.add_argument("--out", help="output folder (default: the demo folder in your data directory)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same data)")
    parser.add_argument(
        "--unique-ratio",
        type=float,
        default=1.0,
        help="vectors, mcr-synthetic: samples carrying the label in one modality per sample carrying it in both",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from core.demo import default_demo_dir, default_samples, generate_demo

    out = args.out or default_demo_dir(args.scenario)
    tty = sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if tty:
            sys.stderr.write(f"\rwriting samples: {done}/{total}")
            sys.stderr.flush()

    samples = default_samples(args.scenario) if args.samples is None else args.samples
    start = time.perf_counter()
    path = generate_demo(out, args.scenario, samples, args.seed, args.unique_ratio, progress=progress)
    if tty:
        sys.stderr.write("\n")
    print(f"wrote {samples} {args.scenario} samples to {path} in {time.perf_counter() - start:.1f} s")
    return 0
