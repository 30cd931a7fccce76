"""``modalens gui``: start the desktop app (the default when no command is given)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("gui", description="Open the desktop app (what `modalens` alone does).")
    parser.add_argument("--data", help="dataset folder to open (default: the built-in demo data)")
    parser.add_argument("--report", help="report file to open")
    parser.add_argument(
        "--smoke", action="store_true", help="start offscreen, load data, show a sample, exit"
    )
    parser.add_argument("--screenshot", metavar="FILE", help="train one epoch on the data, save a PNG, exit")
    parser.add_argument("--size", metavar="WxH", help="window size of --screenshot in pixels (default 1440x900)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from app.main import run_app  # the only place core hands over to the Qt layer

    return run_app(data=args.data, report=args.report, smoke=args.smoke, screenshot=args.screenshot, size=args.size)
