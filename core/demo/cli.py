"""The ``modalens demo`` subcommand: write a built-in demo dataset."""

from __future__ import annotations

import argparse
import sys

from core.demo.folder import DemoFolderError, default_demo_dir
from core.demo.generate import DEFAULT_SAMPLES, generate_demo
from core.demo.presets import PRESETS


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``demo`` subcommand to ``subparsers``; its ``func`` is :func:`run`."""
    parser = subparsers.add_parser(
        "demo",
        help="write a built-in demo dataset",
        description="Write a synthetic demo dataset (manifest.csv plus media files) into a folder.",
    )
    parser.add_argument(
        "--preset",
        choices=PRESETS,
        default="balanced",
        help="balanced / audio-dominant: audio-visual clips; vectors: two-modality vectors "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--samples", type=int, default=DEFAULT_SAMPLES, help="number of samples (default: %(default)s)"
    )
    parser.add_argument(
        "--out", default=None, help="output folder (default: demo-<preset> in the ModaLens data folder)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")
    parser.add_argument(
        "--unique-ratio",
        type=float,
        default=1.0,
        help="vectors preset: samples carrying the label in one modality per sample carrying "
        "it in both (default: %(default)s)",
    )
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Generate the demo described by ``args``; return the exit code."""
    out = args.out if args.out is not None else default_demo_dir(args.preset)
    progress = _progress_line if sys.stdout.isatty() else None
    try:
        path = generate_demo(
            out,
            preset=args.preset,
            samples=args.samples,
            seed=args.seed,
            unique_ratio=args.unique_ratio,
            progress=progress,
        )
    except (DemoFolderError, ValueError, OSError) as exc:
        if progress is not None:
            print()
        print(f"modalens demo: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"\nmodalens demo: interrupted; {out} was left as it was", file=sys.stderr)
        return 130
    if progress is not None:
        print()
    print(f"Wrote {args.samples} samples of the {args.preset!r} demo to {path}")
    return 0


def _progress_line(done: int, total: int) -> None:
    print(f"\rGenerating samples: {done}/{total}", end="", flush=True)
